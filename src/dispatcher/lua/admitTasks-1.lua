--[[
  Admits tasks. For each task, in order: the tenant exists and is enabled, the queue is
  allowed, a job id the caller chose is not taken (a duplicate is answered with the existing id and not
  counted; job ids are made per tenant by src/core/task-ids.ts, so only the same tenant's task
  can be a duplicate), the payload fits, the hourly and daily quotas and the queue length allow one more,
  and, for a tenant whose rate_limit_mode is reject, its rate limits allow a start now (charged here).
  Only then is it counted and stored as a BullMQ job, dispatched to the queue's wait list when
  the tenant has room in its window there (and under its cap and rate), else held back. A sparse tenant
  (nothing waiting or held in the queue, less than a window running) has its task placed
  where workers fetch next. A refused task writes nothing but its count in the tenant's usage.
  Usage counters are read once per tenant and written once per tenant per call, so a bulk
  submission costs little more per task than BullMQ's own add. The same goes for usage
  metering (includes/usage.lua): accepted tasks and their payload bytes, and refusals by
  reason, are added to the tenant's hour once per call (a tenant that does not exist has none).

  Input:
    KEYS[1] tenants set (routes the call in Redis Cluster)
    ARGV[1] prefix
    ARGV[2] now (ms)
    ARGV[3] number of tasks
    then 10 values per task: tenant id, queue, task name, data (JSON), BullMQ options (JSON,
      with the tenant as `tid`, where the worker's fetch reads it cheaply), size of the
      serialized arguments (bytes), job id, "1" when the id was generated (a ULID,
      src/core/task-ids.ts: never taken, so not looked up) or "0" when the caller chose it,
      the options' delay (ms, 0 for none) and priority (0 for none)
  Output, 3 values per task (Placed names the placements as PlacementCode in
  src/dispatcher/admission.ts; ScriptError the refusals as ScriptErrorCode in src/core/script-errors.ts):
    QUEUED, jobId, 0      dispatched to the wait list
    HELD, jobId, 0        held back (tenant at its cap or dispatch window)
    DEFERRED, jobId, 0    deferred (submitted with a delay)
    DUPLICATE, jobId, 0   duplicate of an existing task id
    TenantNotFound (-1) | TenantDisabled (-2) | QueueNotAllowed (-3), queue, allowed (JSON)
    | TaskTooLarge (-4), size, limit | QuotaHour (-5), limit, ms to reset
    | QuotaDay (-6), limit, ms to reset | QueueFull (-7), limit
    | RateLimited (-10, reject mode), ms until a start is allowed, "<limit>:<second|minute>"
  Events: BullMQ's 'added', then 'waiting' (dispatched or held back) or 'delayed' (deferred).
]]
local rcall = redis.call
--- @include "core:tenantConfig"
--- @include "slots"
--- @include "admitted"
--- @include "usage"
--- @include "rate"
--- @include "bullmq:addDelayedJob"
--- @include "core:scriptErrors"

local P = ARGV[1]
local now = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
-- Run as a Redis Function, the includes' state outlives a call: start this one afresh.
beginCall(now)
local HOUR_MS, DAY_MS = 3600000, 86400000
local Placed = { QUEUED = 1, HELD = 2, DEFERRED = 3, DUPLICATE = 4 }

local function pendingOf(T)
  local pending = rcall("ZCARD", deferredKey(P, T))
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    pending = pending + rcall("LLEN", heldKey(P, T, q)) + waitingCount(P, T, q)
  end
  return pending
end

-- What this call knows of each tenant: configuration, counts it changes as it goes.
local tenants = {}
local function tenantState(T)
  local st = tenants[T]
  if st then return st end
  local cfg = readTenant(P, T)
  st = { cfg = cfg, accepted = 0, payload = 0, rejected = {}, waiting = {}, held = {}, queues = {}, window = {}, rateWoken = {},
    tail = {}, tailEntries = {} }
  if cfg then
    if cfg.maxHour then st.hour = tonumber(rcall("GET", usageKey(P, T, "tasks_hour"))) or 0 end
    if cfg.maxDay then st.day = tonumber(rcall("GET", usageKey(P, T, "tasks_day"))) or 0 end
    if cfg.maxConcurrent then st.inUse = slotsInUse(P, T) end
    if cfg.maxQueueLength then st.pending = pendingOf(T) end
    if cfg.enabled and throttles(cfg) then st.rateRoom = rateRoom(P, T, cfg) end
  end
  tenants[T] = st
  return st
end

-- Tasks held at the tail of T's held list in Q, pushed in one RPUSH per list and call (a bulk
-- submission to a backlogged tenant holds most of its tasks): gathered by parkNew, pushed
-- before anything else reads the list (wakeForRate) and when the call ends.
local function tailEntries(st, Q)
  local entries = st.tailEntries[Q]
  if entries == nil then
    entries = {}
    st.tailEntries[Q] = entries
  end
  return entries
end

-- T's window in Q, read once per call.
local function windowFor(st, T, Q)
  local w = st.window[Q]
  if w == nil then
    w = tenantWindow(P, T, laneOf(Q, st.cfg.pool), st.cfg.weight)
    st.window[Q] = w
  end
  return w
end

local out = {}
local function reply(code, a, b)
  out[#out + 1] = code
  out[#out + 1] = a or 0
  out[#out + 1] = b or 0
end

local streamLength = usageStreamLength(P)

-- A refusal of an existing tenant's task: replied, and counted by reason (the names of
-- src/core/rejection.ts).
local function refuse(st, T, Q, reason, code, a, b)
  st.rejected[reason] = (st.rejected[reason] or 0) + 1
  emitUsageEvent(P, streamLength, T, now, "rejected", "queue", Q, "reason", reason)
  reply(code, a, b)
end

-- Reject mode: true (and the refusal counted and replied) when T's rate limits allow no start
-- now; otherwise the start is charged and the task goes on.
local function rateRefusal(st, T, Q, cfg)
  local wait, limiter = rateAdmit(P, T, cfg)
  if wait == 0 then return false end
  refuse(st, T, Q, "rate_limited", ScriptError.RateLimited, wait, limiter.limit .. ":" .. limiter.field)
  return true
end

for i = 0, count - 1 do
  local base = 4 + i * 10
  local T, Q, name, data, optsJson = ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local size, jobId, generated = tonumber(ARGV[base + 5]), ARGV[base + 6], ARGV[base + 7] == "1"
  local delay, priority = tonumber(ARGV[base + 8]), tonumber(ARGV[base + 9])
  local st = tenantState(T)
  local cfg = st.cfg
  -- The delayed set is the queue's; the marker that wakes a worker when a task is due is its pool's.
  local qc = queueContext(P, Q, cfg and cfg.pool)
  if not cfg then
    reply(ScriptError.TenantNotFound)
  elseif not cfg.enabled then
    refuse(st, T, Q, "disabled", ScriptError.TenantDisabled)
  elseif cfg.allowedQueues and not cfg.allowedQueues[Q] then
    refuse(st, T, Q, "queue_not_allowed", ScriptError.QueueNotAllowed, Q, cfg.allowedQueuesJson)
  elseif not generated and rcall("EXISTS", qc.prefix .. jobId) == 1 then
    reply(Placed.DUPLICATE, jobId)
  elseif cfg.maxTaskSize and size > cfg.maxTaskSize then
    refuse(st, T, Q, "too_large", ScriptError.TaskTooLarge, size, cfg.maxTaskSize)
  elseif cfg.maxHour and st.hour >= cfg.maxHour then
    refuse(st, T, Q, "quota_hour", ScriptError.QuotaHour, cfg.maxHour, rcall("PTTL", usageKey(P, T, "tasks_hour")))
  elseif cfg.maxDay and st.day >= cfg.maxDay then
    refuse(st, T, Q, "quota_day", ScriptError.QuotaDay, cfg.maxDay, rcall("PTTL", usageKey(P, T, "tasks_day")))
  elseif cfg.maxQueueLength and st.pending >= cfg.maxQueueLength then
    refuse(st, T, Q, "queue_full", ScriptError.QueueFull, cfg.maxQueueLength)
  elseif cfg.rejectOverRate and hasRate(cfg) and rateRefusal(st, T, Q, cfg) then
    -- Last: an accepted task is charged to the rate by the check itself.
  else
    st.accepted = st.accepted + 1
    st.payload = st.payload + size
    emitUsageEvent(P, streamLength, T, now, "accepted", "queue", Q, "job_id", jobId, "payload_bytes", size)
    if st.hour then st.hour = st.hour + 1 end
    if st.day then st.day = st.day + 1 end
    if st.pending then st.pending = st.pending + 1 end
    st.queues[Q] = true

    storeAdmittedJob(qc.events, qc.prefix .. jobId, jobId, name, data, optsJson, now, delay, priority, T)

    if delay > 0 then
      addDelayedJob(jobId, qc.delayed, qc.events, now, queueState(qc).maxEvents, qc.marker, delay)
      rcall("ZADD", deferredKey(P, T), now + delay, Q .. ":" .. jobId)
      reply(Placed.DEFERRED, jobId)
    else
      local waiting = st.waiting[Q] or waitingCount(P, T, Q)
      local held = st.held[Q] or rcall("LLEN", heldKey(P, T, Q))
      local window = windowFor(st, T, Q)
      local room = window - waiting
      if st.inUse then room = math.min(room, cfg.maxConcurrent - st.inUse) end
      if st.rateRoom then room = math.min(room, st.rateRoom) end
      -- Behind held tasks a new one waits its turn, even if room has just freed up.
      emitWaiting(queueState(qc), jobId)
      if held == 0 and room > 0 then
        local front = isSparse(P, T, Q, waiting, held, window)
        enqueueWithSlots(P, T, Q, { { jobId, priority } }, now, waiting, window, false, front, cfg,
          st.rateRoom ~= nil)
        waiting = waiting + 1
        if st.inUse then st.inUse = st.inUse + 1 end
        if st.rateRoom then st.rateRoom = st.rateRoom - 1 end
        reply(Placed.QUEUED, jobId)
      else
        -- The first task held back in Q: make sure a claim will trigger the refill.
        if held == 0 and waiting > 0 then markHalfway(P, T, Q, waiting, window) end
        local entries = tailEntries(st, Q)
        st.tail[Q] = parkNew(P, T, Q, { jobId, priority, isTraced(optsJson), true }, now,
          holdReason(cfg, st.inUse, room, held, waiting >= window), st.tail[Q], entries)
        held = held + 1
        -- Held by the rate: a parked task wakes Q when the next start is allowed (once per call).
        if st.rateRoom and not st.rateWoken[Q] then
          st.rateWoken[Q] = true
          flushPending(heldKey(P, T, Q), entries)
          wakeForRate(P, T, Q, cfg)
        end
        reply(Placed.HELD, jobId)
      end
      st.waiting[Q], st.held[Q] = waiting, held
    end
  end
end

-- Adds to a quota window's counter; the window starts with its first task, so the expiry is
-- set when the counter was just created (PEXPIRE's NX flag, which needs Redis 7, does the same).
local function countInWindow(key, n, windowMs)
  if rcall("INCRBY", key, n) == n then rcall("PEXPIRE", key, windowMs) end
end

local queuesUsed = {}
for T, st in pairs(tenants) do
  for Q, entries in pairs(st.tailEntries) do flushPending(heldKey(P, T, Q), entries) end
  if st.cfg then
    local counts = { "accepted", st.accepted, "payload_bytes", st.payload }
    for reason, n in pairs(st.rejected) do
      counts[#counts + 1] = "rejected_" .. reason
      counts[#counts + 1] = n
    end
    meterUsage(P, T, now, counts)
  end
  if st.accepted > 0 then
    countInWindow(usageKey(P, T, "tasks_hour"), st.accepted, HOUR_MS)
    countInWindow(usageKey(P, T, "tasks_day"), st.accepted, DAY_MS)
    rcall("INCRBY", usageKey(P, T, "total"), st.accepted)
    for Q in pairs(st.queues) do
      rcall("SADD", tenantQueuesKey(P, T), Q)
      queuesUsed[Q] = true
    end
    rcall("SADD", activeTenantsKey(P), T)
  end
end
for Q in pairs(queuesUsed) do rcall("SADD", queuesKey(P), Q) end
return out
