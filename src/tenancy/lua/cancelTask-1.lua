--[[
  Cancels one task of a tenant: removes it if it is waiting, held or delayed, and hands the room
  it leaves to the tenant's held tasks in the same step. A running or finished task is left
  alone. With an actor, the cancellation is recorded in the tenant's audit trail.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] queue, ARGV[4] job id, ARGV[5] now (ms),
    ARGV[6] actor ("" = not audited), ARGV[7] time (ISO 8601), ARGV[8] task id (for the audit)
  Output: {REMOVED, state} removed from state | {NOT_REMOVED, reason} not removed: unknown, running,
          finished (CancelStatus in src/tenancy/replies.ts names the statuses)
]]
local rcall = redis.call
--- @include "removeQueued"
--- @include "audit"

local NOT_REMOVED, REMOVED = 0, 1
local P, T, Q, jobId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = tonumber(ARGV[5])
local state, reason = removeQueued(P, T, Q, jobId)
if not state then return {NOT_REMOVED, reason} end
local cfg = readTenant(P, T)
if cfg and state == "waiting" then fillTenant(P, T, cfg, now) end
if ARGV[6] ~= "" then
  recordChange(P, T, ARGV[7], ARGV[6], "cancel", cjson.encode({ queue = Q, task_id = ARGV[8], state = state }))
end
return {REMOVED, state}
