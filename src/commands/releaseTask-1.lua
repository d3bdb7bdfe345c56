--[[
  Releases a task's slot when its handler is done, decides what happens to it next with the
  tenant's policy as it is now, and hands the freed room to the tenant's held tasks in the same
  step (so a parked task starts as soon as a running one ends, without polling).
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id ("" when unknown), ARGV[3] queue, ARGV[4] job id,
    ARGV[5] now (ms), ARGV[6] default dispatch window,
    ARGV[7] outcome: "completed" | "failed" | "dead" (poison: dead-letter without retry)
    ARGV[8] attempts made before this one, ARGV[9] retries the task allows,
    ARGV[10] result size (bytes, "completed"), ARGV[11] dead-letter reason,
    ARGV[12] error message, ARGV[13] error stack
  Output:
    {1} completed, keep the result | {2, limit} result too large: dead-lettered
    {3, allowed} failed, retry | {4, allowed} dead-lettered
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
  if score then
    rcall("ZREM", sk, jobId)
    if score > 0 then rcall("DECR", usageKey(P, T, "concurrent")) end
  end
  cfg = readTenant(P, T)
end

local decision
if outcome == "completed" then
  local size = tonumber(ARGV[10])
  if cfg and cfg.maxResultSize and size > cfg.maxResultSize then
    deadLetterJob(P, T, Q, jobId, attemptsMade + 1, "result_too_large", ARGV[12], ARGV[13], now)
    decision = {2, cfg.maxResultSize}
  else
    decision = {1}
  end
elseif outcome == "failed" then
  local allowed = retries
  if cfg and cfg.maxRetry then allowed = math.min(allowed, cfg.maxRetry) end
  if attemptsMade < allowed then
    rcall("ZADD", deferredKey(P, T), now, Q .. ":" .. jobId)
    decision = {3, allowed}
  else
    deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[11], ARGV[12], ARGV[13], now)
    decision = {4, allowed}
  end
else
  deadLetterJob(P, T, Q, jobId, attemptsMade + 1, ARGV[11], ARGV[12], ARGV[13], now)
  decision = {4, 0}
end

if cfg and score then
  if score <= 0 then
    fillQueue(P, T, Q, cfg, now, defaultWindow)
  elseif cfg.maxConcurrent then
    fillTenant(P, T, cfg, now, defaultWindow)
  end
end
return decision
