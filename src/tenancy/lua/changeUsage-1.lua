--[[
  Adds to (or, with a negative amount, takes from) one of a tenant's usage counters; a counter
  never goes below 0. A TTL, when given, is set only if the counter has none (its window). The
  quota windows' counters (tasks_hour, tasks_day) always get their window when they have none:
  admission sets their expiry only when it creates them, so one left without would never reset.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] metric, ARGV[4] amount, ARGV[5] ttl (s, 0 = none)
  Output: {0, value} | {ScriptError.TenantNotFound}
]]
local rcall = redis.call
--- @include "core:keys"
--- @include "core:scriptErrors"

local P, T = ARGV[1], ARGV[2]
if rcall("EXISTS", tenantKey(P, T)) == 0 then return {ScriptError.TenantNotFound} end
local key = usageKey(P, T, ARGV[3])
local value = rcall("INCRBY", key, ARGV[4])
if value < 0 then
  rcall("SET", key, 0, "KEEPTTL")
  value = 0
end
local QUOTA_WINDOWS = { tasks_hour = 3600, tasks_day = 86400 }
local ttl = tonumber(ARGV[5])
if ttl == 0 then ttl = QUOTA_WINDOWS[ARGV[3]] or 0 end
-- Only a counter without an expiry gets one (EXPIRE's NX flag, which needs Redis 7).
if ttl > 0 and rcall("TTL", key) == -1 then rcall("EXPIRE", key, ttl) end
return {0, value}
