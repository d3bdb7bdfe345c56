--[[
  Reads a tenant's usage in one consistent step.
  Input: KEYS[1] tenants set; ARGV[1] prefix, ARGV[2] tenant id
  Output: {ScriptError.TenantNotFound} |
    {0, tasks_hour, tasks_hour_pttl, tasks_day, tasks_day_pttl, running, total,
        held, waiting, running, deferred, stored results, ms until the rate allows a start}
  The last is 0 when the tenant has no throttling rate limit or its limits allow a start now
  beyond its waiting tasks; otherwise its held tasks are held by the rate.
  The running count is read from the running slots, the truth; usage:concurrent is its mirror,
  rewritten by the reconciler.
]]
local rcall = redis.call
--- @include "core:keys"
--- @include "core:scriptErrors"
--- @include "dispatcher:storedResults"
--- @include "core:tenantConfig"
--- @include "dispatcher:rate"

local P, T = ARGV[1], ARGV[2]
local cfg = readTenant(P, T)
if not cfg then return {ScriptError.TenantNotFound} end
local function counter(metric) return tonumber(rcall("GET", usageKey(P, T, metric))) or 0 end
local held, waiting, running = 0, 0, 0
local function rateWait()
  if not throttles(cfg) then return 0 end
  local now = rateNow()
  if rateAvailable(P, T, cfg, now) > waiting then return 0 end
  return rateNextStart(P, T, cfg, now, waiting) - now
end
for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
  held = held + rcall("LLEN", heldKey(P, T, q))
  waiting = waiting + rcall("ZCOUNT", slotsKey(P, T, q), "-inf", 0)
  running = running + rcall("ZCOUNT", slotsKey(P, T, q), "(0", "+inf")
end
return {0, counter("tasks_hour"), rcall("PTTL", usageKey(P, T, "tasks_hour")), counter("tasks_day"),
  rcall("PTTL", usageKey(P, T, "tasks_day")), running, counter("total"), held,
  waiting, running, rcall("ZCARD", deferredKey(P, T)), storedResultCount(P, T), rateWait()}
