--[[
  Adds to (or, with a negative amount, takes from) one of a tenant's usage counters; a counter
  never goes below 0. A TTL, when given, is set only if the counter has none (its window).
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
-- Only a counter without an expiry gets one (EXPIRE's NX flag, which needs Redis 7).
if tonumber(ARGV[5]) > 0 and rcall("TTL", key) == -1 then rcall("EXPIRE", key, ARGV[5]) end
return {0, value}
