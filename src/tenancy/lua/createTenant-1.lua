--[[
  Creates a tenant.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] configuration fields (JSON object field -> string),
    ARGV[4] time (ISO 8601), ARGV[5] actor, ARGV[6] audit changes (JSON)
  Output: {0} created | {ScriptError.TenantExists} exists
  Events: audit 'create', change notice.
]]
local rcall = redis.call
--- @include "audit"
--- @include "core:scriptErrors"

local P, T = ARGV[1], ARGV[2]
local key = tenantKey(P, T)
if rcall("EXISTS", key) == 1 then return {ScriptError.TenantExists} end
local flat = {}
local fields = cjson.decode(ARGV[3])
for field, value in pairs(fields) do
  flat[#flat + 1] = field
  flat[#flat + 1] = value
end
rcall("HSET", key, unpack(flat))
rcall("SADD", KEYS[1], T)
if fields.pool and fields.pool ~= SHARED_POOL then rcall("SADD", poolsKey(P), fields.pool) end
recordChange(P, T, ARGV[4], ARGV[5], "create", ARGV[6])
return {0}
