--[[
  Updates a tenant, records what changed (from -> to, read in the same step so that concurrent
  updates cannot blur the audit trail) and applies it to the tenant's queued tasks at once:
  disabling pulls its waiting tasks back to its held lists (running ones finish); a change
  that leaves room (enabled again, a higher cap) promotes held tasks. Moving it to another
  pool pulls its waiting tasks back from the old pool's wait lists and promotes them (with its
  held ones) into the new pool's, in this same step: no worker of the old pool can fetch them
  after it, and none is lost. Its running tasks finish where they are; its delayed ones, and
  any put back later, enter the new pool when they come due or are fetched (claim.lua). A
  changed rate limit pulls the waiting tasks back too and dispatches them again under the new
  limits, so that they apply to every task that has not started.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] fields to set (JSON object of strings),
    ARGV[4] fields to remove (JSON array), ARGV[5] time (ISO 8601), ARGV[6] actor,
    ARGV[7] now (ms)
  Output: {0, changedFields, promoted, pulledBack} | {ScriptError.TenantNotFound}
  Events: audit 'update' | 'enable' | 'disable', change notice, 'waiting' for promoted tasks.
]]
local rcall = redis.call
--- @include "audit"
--- @include "core:scriptErrors"
--- @include "core:tenantConfig"
--- @include "dispatcher:slots"

local P, T = ARGV[1], ARGV[2]
local key = tenantKey(P, T)
if rcall("EXISTS", key) == 0 then return {ScriptError.TenantNotFound} end

local setFields, unsetFields = cjson.decode(ARGV[3]), cjson.decode(ARGV[4])
local changes, changed, onlyEnabled = {}, 0, true
local flat = {}
for field, value in pairs(setFields) do
  local old = rcall("HGET", key, field)
  if old ~= value then
    changes[field] = { from = old or cjson.null, to = value }
    changed = changed + 1
    if field ~= "enabled" then onlyEnabled = false end
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
end
local removed = {}
for _, field in ipairs(unsetFields) do
  local old = rcall("HGET", key, field)
  if old then
    changes[field] = { from = old, to = cjson.null }
    changed = changed + 1
    onlyEnabled = false
    removed[#removed + 1] = field
  end
end
if changed == 0 then return {0, 0, 0, 0} end
local oldPool = readTenant(P, T).pool

if #flat > 0 then rcall("HSET", key, unpack(flat)) end
if #removed > 0 then rcall("HDEL", key, unpack(removed)) end
rcall("HSET", key, "updated_at", ARGV[5])
local action = "update"
if onlyEnabled then action = setFields["enabled"] == "true" and "enable" or "disable" end
recordChange(P, T, ARGV[5], ARGV[6], action, cjson.encode(changes))
local cfg = readTenant(P, T)
if cfg.pool ~= SHARED_POOL then rcall("SADD", poolsKey(P), cfg.pool) end
local RATE_FIELDS = { max_tasks_per_second = true, max_tasks_per_minute = true, rate_burst = true,
  rate_limit_mode = true }
local rateChanged = false
for field in pairs(changes) do
  if RATE_FIELDS[field] then rateChanged = true end
end
local pulledBack = 0
if not cfg.enabled or cfg.pool ~= oldPool or rateChanged then
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do pulledBack = pulledBack + pullBackWaiting(P, T, q, oldPool) end
end
local promoted = fillTenant(P, T, cfg, tonumber(ARGV[7]))
return {0, changed, promoted, pulledBack}
