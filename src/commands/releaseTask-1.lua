--[[
  Releases a task's slot when its handler is done, decides what happens to it next with the
  tenant's retry policy as it is now, and hands the freed room to the tenant's held tasks in
  the same step (so a parked task starts as soon as a running one ends, without polling).
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id ("" when unknown), ARGV[3] queue, ARGV[4] job id,
    ARGV[5] now (ms), ARGV[6] default dispatch window,
    ARGV[7] outcome: "completed" | "failed" | "dead" (dead-letter now, no retry)
                     | "requeued" (put back in the wait list by a stopping worker)
    ARGV[8] attempts made before this one, ARGV[9] retries the task allows ("failed"),
    ARGV[10] dead-letter reason, ARGV[11] error message, ARGV[12] error stack,
    ARGV[13] the run's lock token: a running slot is left alone when another token holds the
             job's lock (the task was redelivered, and the slot is the new run's)
  Output: {1} completed or requeued | {3, allowed} failed: retry | {4, allowed} dead-lettered
  Events: 'waiting' for promoted tasks.
]]
local rcall = redis.call
--- @include "tenantConfig"
--- @include "slots"
--- @include "deadLetter"

local P, T, Q, jobId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, defaultWindow, outcome = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local attemptsMade, retries = tonumber(ARGV[8]), tonumber(ARGV[9])

local score = nil
local cfg = nil
if T ~= "" then
  local sk = slotsKey(P, T, Q)
  score = tonumber(rcall("ZSCORE", sk, jobId))
  if score and score > 0 and ARGV[13] ~= "" then
    local holder = rcall("GET", P .. ":q:" .. Q .. ":" .. jobId .. ":lock")
    if holder and holder ~= ARGV[13] then score = nil end
  end
  if score then
    rcall("ZREM", sk, jobId)
    if score > 0 then rcall("DECR", usageKey(P, T, "concurrent")) end
  end
  cfg = readTenant(P, T)
end

local decision = {1}
if outcome == "failed" then
  local allowed = retries
  if cfg and cfg.maxRetry then allowed = math.min(allowed, cfg.maxRetry) end
  if attemptsMade < allowed then
    rcall("ZADD", deferredKey(P, T), now, Q .. ":" .. jobId)
    decision = {3, allowed}
  else
    deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[10], ARGV[11], ARGV[12], now)
    decision = {4, allowed}
  end
elseif outcome == "dead" then
  deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[10], ARGV[11], ARGV[12], now)
  decision = {4, 0}
elseif outcome == "requeued" and T ~= "" then
  rcall("ZADD", deferredKey(P, T), now, Q .. ":" .. jobId)
end

if cfg and score then
  if score <= 0 then
    fillQueue(P, T, Q, cfg, now, defaultWindow)
  elseif cfg.maxConcurrent then
    fillTenant(P, T, cfg, now, defaultWindow)
  end
end
return decision
