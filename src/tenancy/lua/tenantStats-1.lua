--[[
  Reads a tenant's usage in one consistent step.
  Input: KEYS[1] tenants set; ARGV[1] prefix, ARGV[2] tenant id
  Output: {-1} not found |
    {0, tasks_hour, tasks_hour_pttl, tasks_day, tasks_day_pttl, running, total,
        held, waiting, running, deferred, stored results}
  The running count is read from the running slots, the truth; usage:concurrent is its mirror,
  rewritten by the reconciler.
]]
local rcall = redis.call
--- @include "core:keys"
--- @include "dispatcher:storedResults"

local P, T = ARGV[1], ARGV[2]
if rcall("EXISTS", tenantKey(P, T)) == 0 then return {-1} end
local function counter(metric) return tonumber(rcall("GET", usageKey(P, T, metric))) or 0 end
local held, waiting, running = 0, 0, 0
for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
  held = held + rcall("LLEN", heldKey(P, T, q))
  waiting = waiting + rcall("ZCOUNT", slotsKey(P, T, q), "-inf", 0)
  running = running + rcall("ZCOUNT", slotsKey(P, T, q), "(0", "+inf")
end
return {0, counter("tasks_hour"), rcall("PTTL", usageKey(P, T, "tasks_hour")), counter("tasks_day"),
  rcall("PTTL", usageKey(P, T, "tasks_day")), running, counter("total"), held,
  waiting, running, rcall("ZCARD", deferredKey(P, T)), storedResultCount(P, T)}
