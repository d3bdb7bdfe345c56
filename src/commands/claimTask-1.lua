--[[
  Claims a running slot for a task a worker has just fetched, before its handler runs.
  A task dispatched by admission holds a waiting slot: it becomes running (a lease that the
  worker renews with its BullMQ lock) and the window room it leaves is filled from the held
  tasks. A task without a slot (a retry, a delayed task come due, a task added with plain
  BullMQ, one whose lease lapsed) takes one if the tenant's cap allows. Otherwise, or when the
  tenant is disabled, the task is parked again at the head of its held list, without using up
  an attempt.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] queue, ARGV[4] job id, ARGV[5] lock token,
    ARGV[6] now (ms), ARGV[7] lease (ms), ARGV[8] default dispatch window
  Output: {1, max_result_size_bytes or -1} run | {2} parked | {-1} tenant not found
          | {-6} lock lost (another worker has it)
  Events: 'waiting' for promoted tasks.
]]
local rcall = redis.call
--- @include "tenantConfig"
--- @include "slots"
--- @include "bullmq:removeLock"

local P, T, Q, jobId, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, lease, defaultWindow = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local cfg = readTenant(P, T)
if not cfg then return {-1} end

local resultLimit = cfg.maxResultSize or -1
local sk = slotsKey(P, T, Q)
local score = tonumber(rcall("ZSCORE", sk, jobId))
local ref = Q .. ":" .. jobId
if cfg.enabled then
  if score then
    rcall("ZADD", sk, now + lease, jobId)
    if score <= 0 then
      rcall("INCR", usageKey(P, T, "concurrent"))
      fillQueue(P, T, Q, cfg, now, defaultWindow)
    end
    return {1, resultLimit}
  end
  if not cfg.maxConcurrent or slotsInUse(P, T) < cfg.maxConcurrent then
    rcall("ZREM", deferredKey(P, T), ref)
    rcall("ZADD", sk, now + lease, jobId)
    rcall("INCR", usageKey(P, T, "concurrent"))
    rcall("SADD", tenantQueuesKey(P, T), Q)
    return {1, resultLimit}
  end
end

local qc = queueContext(P, Q)
local lockError = removeLock(qc.prefix .. jobId, qc.stalled, token, jobId)
if lockError < 0 then return {-6} end
if score then
  rcall("ZREM", sk, jobId)
  if score > 0 then rcall("DECR", usageKey(P, T, "concurrent")) end
end
rcall("ZREM", deferredKey(P, T), ref)
rcall("LREM", qc.active, -1, jobId)
rcall("ZADD", qc.delayed, PARKED_SCORE, jobId)
-- Fetching counted a start; a hold-back is not one.
rcall("HINCRBY", qc.prefix .. jobId, "ats", -1)
rcall("LPUSH", heldKey(P, T, Q), jobId)
rcall("SADD", tenantQueuesKey(P, T), Q)
return {2}
