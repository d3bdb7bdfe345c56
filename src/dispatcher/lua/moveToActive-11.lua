--[[
  Turbine's moveToActive, installed on a worker's connection in place of BullMQ's (same keys,
  arguments and reply: see BullMQ's moveToActive-11): BullMQ's own script fetches a job, then
  Turbine claims the tenant's slot for it in the same step. Due delayed tasks are first put
  through the fair path (promoteDue), in place of BullMQ's own promotion. A job that may not
  run now (its tenant is at its cap or disabled) is held back and the next one fetched.
  Input: as BullMQ's. KEYS[1] wait list (the worker's pool's), KEYS[11] marker; ARGV[1] key prefix "<P>:q:<Q>:", ARGV[2] timestamp,
         ARGV[3] packed options (token, lockDuration, …);
         then Turbine's: ARGV[4] the worker's lockDuration as text (the lease of a claimed task)
  Output: as BullMQ's: {job fields, jobId, rate limit delay, next delayed timestamp}
]]
local rcall = redis.call
--- @wrap "bullmq:moveToActive-11" as bullmqMoveToActive
--- @replace "bullmq:promoteDelayedJobs" by "duePromotedFirst"
--- @include "claim"
--- @include "due"

local MAX_FETCHES = 20

local now = tonumber(ARGV[2])
beginCall(now)
local P, Q, pool = workerLane(ARGV[1], KEYS[1])
local lease = tonumber(ARGV[4])
if promoteDue(P, Q, now) then
  -- More due tasks than one batch: the worker fetches again at once, which promotes the next.
  addBaseMarkerIfNeeded(KEYS[11], false)
end
for _ = 1, MAX_FETCHES do
  local result = bullmqMoveToActive(KEYS, ARGV)
  local jobId = result[2]
  if not jobId or jobId == 0 then return result end
  if claimFetched(P, Q, pool, jobId, result[1], now, lease) == "run" then return result end
end
-- Only tasks that had to be held back were fetched: have the worker look again at once.
addBaseMarkerIfNeeded(KEYS[11], false)
return {0, 0, 0, 0}
