--[[
  Turbine's moveToFinished, installed on a worker's connection in place of BullMQ's (same keys,
  arguments and reply: see BullMQ's moveToFinished-14): BullMQ's own script completes or fails
  the job (and fetches the next one), then Turbine releases the finished task's slot, counts a
  success in the tenant's usage (handler time from the job's processedOn, result bytes), promotes
  the tenant's held tasks into the room it leaves, and claims a slot for the fetched job, all
  in the same step, so a held task is dispatched the moment a running one ends. A result
  BullMQ keeps is indexed for its tenant, whose max_stored_results applies (storedResults).
  Input: as BullMQ's. KEYS[1] wait list (the worker's pool's), KEYS[12] job key, KEYS[14] marker; ARGV[1] job id, ARGV[2] timestamp,
         ARGV[7] key prefix "<P>:q:<Q>:", ARGV[8] packed options (token, lockDuration, …);
         then Turbine's: ARGV[10] the job's tenant ("" for none), ARGV[11] its processedOn,
         ARGV[12] the worker's lockDuration as text (the lease of the next task), ARGV[13] "1"
         when BullMQ keeps the finished job (its keepJobs count is not 0), else "0"
         (the worker has both at hand: unpacking ARGV[8] again costs as much as the claim's reads)
  Output: as BullMQ's.
]]
local rcall = redis.call
--- @wrap "bullmq:moveToFinished-14" as bullmqMoveToFinished
--- @replace "bullmq:promoteDelayedJobs" by "duePromotedFirst"
--- @include "claim"
--- @include "storedResults"
--- @include "due"

local now = tonumber(ARGV[2])
beginCall(now)
local P, Q, pool = workerLane(ARGV[7], KEYS[1])
local jobId = ARGV[1]
-- The tenant admission charged and when the run started, as the worker has them from the fetch
-- (so the job need not be read before BullMQ may remove it). A job the claim flagged as not
-- admitted has no tenant: no key is built from the one it names.
local T = ARGV[10] ~= "" and ARGV[10] or nil
local processedOn = ARGV[11]

-- Due delayed tasks take the fair path, in place of the promotion in BullMQ's fetch of the next job.
local moreDue = promoteDue(P, Q, now)
local result = bullmqMoveToFinished(KEYS, ARGV)
if moreDue then addBaseMarkerIfNeeded(KEYS[14], false) end
if type(result) == "number" and result < 0 then return result end
if T then
  -- One read of the tenant for both steps.
  local tenant = rcall("HMGET", tenantKey(P, T), "tenant_id", "max_concurrent_tasks", "max_stored_results")
  releaseFinished(P, T, Q, jobId, now, tenant[2])
  -- A failed run was counted by releaseTask, which decided its fate.
  local succeeded
  if ARGV[5] == "completed" then
    local ms, bytes = handlerMs(processedOn, now), #ARGV[4]
    succeeded = meterStep(P, T, now, { "succeeded", 1, "handler_ms", ms, "result_bytes", bytes }, "succeeded",
      "queue", Q, "job_id", jobId, "handler_ms", ms, "result_bytes", bytes)
  end
  -- BullMQ keeps the job unless its keepJobs count is 0 (removeOnComplete: true); a deleted
  -- tenant's results are BullMQ's alone to expire.
  if tenant[1] and ARGV[13] == "1" then
    -- The finish time as BullMQ scores the job: ARGV[2] as given, not formatted again.
    recordStoredResult(P, T, Q, jobId, ARGV[5], ARGV[2], tonumber(tenant[3]), succeeded)
  end
end
if type(result) == "table" and result[2] and result[2] ~= 0 then
  local lease = tonumber(ARGV[12])
  if claimFetched(P, Q, pool, result[2], result[1], now, lease) ~= "run" then
    addBaseMarkerIfNeeded(KEYS[14], false)
    return {0, 0, 0, 0}
  end
end
return result
