--[[
  Appends a change to the tenant's audit stream and announces it on the change channel, so
  that every process sees the change at once (workers and producers drop cached state).
]]
--- @include "core:keys"

local AUDIT_MAXLEN = 1000

local function recordChange(P, T, time, actor, action, changes)
  rcall("XADD", auditKey(P, T), "MAXLEN", "~", AUDIT_MAXLEN, "*", "time", time, "actor", actor,
    "action", action, "changes", changes)
  rcall("PUBLISH", changesChannel(P), T)
end
