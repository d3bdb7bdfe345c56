--[[
  Deletes a tenant: its configuration, usage counters and dispatch bookkeeping; never task
  results, dead-letter entries or the audit trail. With queued tasks it needs `force`: it then
  disables the tenant (so nothing new is admitted) and dead-letters its held tasks in batches,
  one call per batch, before the final delete. Waiting and deferred tasks are dead-lettered by
  the worker that picks them up, which finds no tenant.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] force ("1"/"0"), ARGV[4] time (ISO 8601),
    ARGV[5] actor, ARGV[6] now (ms), ARGV[7] batch size
  Output: {NOT_FOUND, 0} | {DELETED, deadLettered} | {MORE, deadLettered} more batches to go
          | {ScriptError.TenantHasQueuedTasks, queued} queued tasks and no force
          (DeleteStatus in src/tenancy/replies.ts names the statuses)
  Events: audit 'delete', change notice.
]]
local rcall = redis.call
--- @include "audit"
--- @include "core:scriptErrors"
--- @include "dispatcher:slots"
--- @include "core:deadLetter"
--- @include "bullmq:removeJobKeys"
--- @include "dispatcher:storedResults"

local NOT_FOUND, DELETED, MORE = 0, 1, 2
local P, T = ARGV[1], ARGV[2]
local now, batch = tonumber(ARGV[6]), tonumber(ARGV[7])
local key = tenantKey(P, T)
if rcall("EXISTS", key) == 0 then return {NOT_FOUND, 0} end

local queues = rcall("SMEMBERS", tenantQueuesKey(P, T))
local queued = rcall("ZCARD", deferredKey(P, T))
for _, q in ipairs(queues) do
  queued = queued + rcall("LLEN", heldKey(P, T, q)) + waitingCount(P, T, q)
end
if queued > 0 and ARGV[3] ~= "1" then return {ScriptError.TenantHasQueuedTasks, queued} end
rcall("HSET", key, "enabled", "false")

local deadLettered = 0
for _, q in ipairs(queues) do
  local qc = queueContext(P, q)
  while deadLettered < batch do
    local entry = rcall("LPOP", heldKey(P, T, q))
    if not entry then break end
    local jobId = parseHeld(entry)
    if rcall("EXISTS", qc.prefix .. jobId) == 1 then
      deadLetterJob(P, T, q, jobId, 0, "tenant_deleted", "Tenant '" .. T .. "' was deleted", "", now)
      removeJobKeys(qc.prefix .. jobId)
      deadLettered = deadLettered + 1
    end
  end
  if deadLettered >= batch then return {MORE, deadLettered} end
end

local pool = rcall("HGET", key, "pool")
for _, q in ipairs(queues) do
  rcall("DEL", heldKey(P, T, q), slotsKey(P, T, q), storedKey(P, T, q, "completed"), storedKey(P, T, q, "failed"))
  settleBusy(P, T, q, laneOf(q, pool))
end
rcall("SREM", activeTenantsKey(P), T)
rcall("DEL", key, usageKey(P, T, "tasks_hour"), usageKey(P, T, "tasks_day"),
  usageKey(P, T, "concurrent"), usageKey(P, T, "total"), tenantQueuesKey(P, T), deferredKey(P, T))
rcall("SREM", KEYS[1], T)
recordChange(P, T, ARGV[4], ARGV[5], "delete", cjson.encode({ queued_tasks = queued }))
return {DELETED, deadLettered}
