--[[
  Releases the slot of a task whose run did not complete normally, decides what happens to it
  next with the tenant's retry policy as it is now, and hands the freed room to the tenant's
  held tasks in the same step. (A completed run is released by moveToFinished.) A run that
  failed or was dead-lettered is counted in the tenant's usage (failed, dead_lettered, handler
  time since the job's processedOn) when the tenant exists.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id ("" when unknown), ARGV[3] queue, ARGV[4] job id,
    ARGV[5] now (ms),
    ARGV[6] outcome: "failed" | "dead" (dead-letter now, no retry)
                     | "requeued" (put back in the wait list by a stopping worker)
    ARGV[7] attempts made before this one, ARGV[8] retries the task allows ("failed"),
    ARGV[9] dead-letter reason, ARGV[10] error message, ARGV[11] error stack,
    ARGV[12] the run's lock token: a running slot is left alone when another token holds the
             job's lock (the task was redelivered, and the slot is the new run's)
  Output: {REQUEUED} | {RETRY, allowed} failed: retry | {DEAD_LETTERED, allowed}
          (ReleaseCode in src/dispatcher/release.ts names the codes)
  Events: 'waiting' for promoted tasks.
]]
local rcall = redis.call
--- @include "core:tenantConfig"
--- @include "slots"
--- @include "core:deadLetter"
--- @include "usage"

local REQUEUED, RETRY, DEAD_LETTERED = 1, 3, 4
local P, T, Q, jobId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, outcome = tonumber(ARGV[5]), ARGV[6]
local attemptsMade, retries = tonumber(ARGV[7]), tonumber(ARGV[8])

local score = nil
local cfg = nil
if T ~= "" then
  local sk = slotsKey(P, T, Q)
  score = tonumber(rcall("ZSCORE", sk, jobId))
  if score and score > 0 and ARGV[12] ~= "" then
    local holder = rcall("GET", bullKey(P, Q, jobId .. ":lock"))
    if holder and holder ~= ARGV[12] then score = nil end
  end
  if score then rcall("ZREM", sk, jobId) end
  cfg = readTenant(P, T)
end

local decision = {REQUEUED}
if outcome == "failed" then
  local allowed = retries
  if cfg and cfg.maxRetry then allowed = math.min(allowed, cfg.maxRetry) end
  if attemptsMade < allowed then
    rcall("ZADD", deferredKey(P, T), now, Q .. ":" .. jobId)
    rcall("SADD", activeTenantsKey(P), T)
    decision = {RETRY, allowed}
  else
    deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[9], ARGV[10], ARGV[11], now)
    decision = {DEAD_LETTERED, allowed}
  end
elseif outcome == "dead" then
  deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[9], ARGV[10], ARGV[11], now)
  decision = {DEAD_LETTERED, 0}
elseif outcome == "requeued" and T ~= "" then
  rcall("ZADD", deferredKey(P, T), now, Q .. ":" .. jobId)
  rcall("SADD", activeTenantsKey(P), T)
end

if cfg and (outcome == "failed" or outcome == "dead") then
  local dead = decision[1] == DEAD_LETTERED and 1 or 0
  local ms = handlerMs(rcall("HGET", bullKey(P, Q, jobId), "processedOn"), now)
  local counts = { "failed", 1, "dead_lettered", dead, "handler_ms", ms }
  if dead == 1 then
    meterStep(P, T, now, counts, "dead_lettered", "queue", Q, "job_id", jobId, "handler_ms", ms, "reason", ARGV[9])
  else
    meterStep(P, T, now, counts, "failed", "queue", Q, "job_id", jobId, "handler_ms", ms)
  end
end

if cfg and score then
  if score <= 0 then
    fillQueue(P, T, Q, cfg, now)
    settleBusy(P, T, Q, laneOf(Q, cfg.pool))
  elseif cfg.maxConcurrent then
    fillTenant(P, T, cfg, now)
  end
end
return decision
