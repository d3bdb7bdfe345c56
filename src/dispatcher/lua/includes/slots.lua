--[[
  Dispatch slots, parking and promotion.

  A task of tenant T in queue Q is in exactly one of these places until it finishes:
    - held:     listed in held(T,Q), oldest first (its job hash exists; it is in no BullMQ list);
    - waiting:  in Q's wait list (or prioritized set), with slots(T,Q)[jobId] = -dispatchedAt;
    - running:  in Q's active list, with slots(T,Q)[jobId] = lease expiry (ms);
    - deferred: in BullMQ's delayed set (a delay or a retry backoff), listed in deferred(T).
  Limits: waiting(T,Q) <= the queue's dispatch window; waiting + running over all of T's queues
  <= max_concurrent_tasks. So the shared wait list only holds work that may run now, and a
  quiet tenant's task waits behind at most a window of each other tenant's tasks.
]]
--- @include "core:keys"
--- @include "held"
--- @include "core:tenantConfig"
--- @include "bullmq:addBaseMarkerIfNeeded"
--- @include "bullmq:addJobWithPriority"
--- @include "bullmq:getOrSetMaxEvents"
--- @include "bullmq:isQueuePausedOrMaxed"

-- Window of a queue the reconciler has not set yet (src/dispatcher/window.ts, same value).
local DEFAULT_WINDOW = 100

-- BullMQ keys of a queue, and (queueState) its paused state and event stream length, read
-- once per call. A command loaded as a Redis Function keeps these locals between calls, so it
-- starts each call with beginCall().
local queueContexts = {}
local function beginCall()
  queueContexts = {}
end

local function queueContext(P, Q)
  local qc = queueContexts[Q]
  if qc == nil then
    qc = {
      prefix = bullKey(P, Q, ""),
      wait = bullKey(P, Q, "wait"),
      active = bullKey(P, Q, "active"),
      delayed = bullKey(P, Q, "delayed"),
      prioritized = bullKey(P, Q, "prioritized"),
      meta = bullKey(P, Q, "meta"),
      marker = bullKey(P, Q, "marker"),
      events = bullKey(P, Q, "events"),
      pc = bullKey(P, Q, "pc"),
      stalled = bullKey(P, Q, "stalled"),
    }
    queueContexts[Q] = qc
  end
  return qc
end

local function queueState(qc)
  if qc.pausedOrMaxed == nil then
    qc.pausedOrMaxed = isQueuePausedOrMaxed(qc.meta, qc.active)
    qc.maxEvents = getOrSetMaxEvents(qc.meta)
  end
  return qc
end

local function windowOf(P, Q)
  return tonumber(rcall("HGET", windowKey(P), Q)) or DEFAULT_WINDOW
end

local function waitingCount(P, T, Q)
  return rcall("ZCOUNT", slotsKey(P, T, Q), "-inf", 0)
end

local function slotsInUse(P, T)
  local n = 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    n = n + rcall("ZCARD", slotsKey(P, T, q))
  end
  return n
end

-- Refill marks. Claiming a task whose waiting slot has a fractional score (a mark) is what
-- triggers a refill check (see claimFetched), so other claims need not count the window. A
-- task is marked when the count of T's waiting tasks in Q reaches half the window (in a
-- promotion batch: its first task at or past half; at admission: the one crossing half), and
-- when admission first holds a task back, a waiting task about half way is marked if none is.
-- So while tasks are held, a marked task is always waiting. Should one be lost (a task
-- removed by hand), the reconciler's pass refills instead.
local function isRefillMark(score) return score ~= math.floor(score) end

local function markHalfway(P, T, Q, waiting, window)
  local sk = slotsKey(P, T, Q)
  -- Waiting slots are -dispatchedAt: highest score first is oldest first, the claim order.
  local slots = rcall("ZREVRANGEBYSCORE", sk, 0, "-inf", "WITHSCORES")
  for i = 2, #slots, 2 do
    if isRefillMark(tonumber(slots[i])) then return end
  end
  local rank = math.min(math.ceil(window / 2), waiting)
  if rank >= 1 and slots[rank * 2] then
    rcall("ZADD", sk, "XX", tonumber(slots[rank * 2]) - 0.5, slots[rank * 2 - 1])
  end
end

-- Emits BullMQ's 'waiting' event for an accepted task. Emitted when a task is accepted, held
-- back or not (a held task waits for its tenant's turn, as BullMQ Pro's grouped jobs do), so
-- promotion emits nothing more.
local function emitWaiting(qc, jobId)
  rcall("XADD", qc.events, "MAXLEN", "~", qc.maxEvents, "*", "event", "waiting", "jobId", jobId)
end

-- Puts stored jobs into their queue (wait list, or prioritized set) with waiting slots.
-- `jobs` is a list of {id, priority}; `waiting` is how many of T's tasks wait in Q before them.
-- A batch (promotion) marks its first task at or past half the window; a single admission
-- marks only the task that crosses half.
local function enqueueWithSlots(P, T, Q, jobs, now, waiting, window, batch)
  if #jobs == 0 then return end
  local qc = queueState(queueContext(P, Q))
  local half = math.ceil(window / 2)
  local markAt = (batch and waiting >= half) and (waiting + 1) or half
  local plain, slots = {}, {}
  for i, job in ipairs(jobs) do
    local id, priority = job[1], job[2]
    if priority > 0 then
      addJobWithPriority(qc.marker, qc.prioritized, priority, id, qc.pc, qc.pausedOrMaxed)
    else
      plain[#plain + 1] = id
    end
    slots[#slots + 1] = (waiting + i == markAt) and (-now - 0.5) or -now
    slots[#slots + 1] = id
  end
  if #plain > 0 then
    -- LPUSH a b c leaves c at the head: the tail, which workers take first, gets a first.
    rcall("LPUSH", qc.wait, unpack(plain))
    addBaseMarkerIfNeeded(qc.marker, qc.pausedOrMaxed)
  end
  rcall("ZADD", slotsKey(P, T, Q), unpack(slots))
end

-- Holds back a stored job that is in no BullMQ list yet, behind the tenant's other held tasks.
local function parkNew(P, T, Q, jobId, priority)
  rcall("RPUSH", heldKey(P, T, Q), heldEntry(jobId, priority))
end

-- Moves up to `count` held tasks of T in Q (oldest first, at most 1000 at a time) to the queue.
-- A held job removed through BullMQ (Job.remove, obliterate) leaves its entry behind: such
-- entries are dropped here, and do not use the room (at most 10 000 looked at per call).
local function promoteHeld(P, T, Q, count, now, waiting)
  if count <= 0 then return 0 end
  local wanted, budget = math.min(count, 1000), 10000
  local prefix = queueContext(P, Q).prefix
  local jobs = {}
  while #jobs < wanted and budget > 0 do
    local entries = rcall("LPOP", heldKey(P, T, Q), math.min(wanted - #jobs, budget))
    if not entries then break end
    budget = budget - #entries
    for _, entry in ipairs(entries) do
      local id, priority = parseHeld(entry)
      if rcall("EXISTS", prefix .. id) == 1 then jobs[#jobs + 1] = { id, priority } end
    end
  end
  enqueueWithSlots(P, T, Q, jobs, now, waiting or waitingCount(P, T, Q), windowOf(P, Q), true)
  return #jobs
end

-- Free room for T in Q: the window left, bounded by the tenant's cap left.
local function roomIn(P, T, Q, cfg, waiting)
  if not cfg.enabled then return 0 end
  local room = windowOf(P, Q) - (waiting or waitingCount(P, T, Q))
  if cfg.maxConcurrent and room > 0 then
    room = math.min(room, cfg.maxConcurrent - slotsInUse(P, T))
  end
  return room
end

-- Promotes held tasks of T in Q into the room there is.
local function fillQueue(P, T, Q, cfg, now)
  if rcall("LLEN", heldKey(P, T, Q)) == 0 then return 0 end
  local waiting = waitingCount(P, T, Q)
  return promoteHeld(P, T, Q, roomIn(P, T, Q, cfg, waiting), now, waiting)
end

-- The tenant's waiting tasks of Q go back to the head of its held list, in submission order (a
-- disabled tenant's queued tasks wait there until it is enabled). A task already fetched stays.
local function pullBackWaiting(P, T, Q)
  local qc = queueContext(P, Q)
  local sk = slotsKey(P, T, Q)
  local jobs = {}
  for _, id in ipairs(rcall("ZRANGEBYSCORE", sk, "-inf", 0)) do
    local fields = rcall("HMGET", qc.prefix .. id, "priority", "timestamp")
    jobs[#jobs + 1] = { id = id, priority = tonumber(fields[1]) or 0, ts = tonumber(fields[2]) or 0,
      n = tonumber(id) }
  end
  -- Slot scores tie within a millisecond (and ties sort by id as text): order by submission
  -- time, then by the generated id as a number.
  table.sort(jobs, function(a, b)
    if a.ts ~= b.ts then return a.ts < b.ts end
    if a.n and b.n then return a.n < b.n end
    return a.id < b.id
  end)
  local pulled = 0
  -- Newest first, each pushed to the head: the oldest ends up first.
  for i = #jobs, 1, -1 do
    local job = jobs[i]
    local removed = job.priority > 0 and rcall("ZREM", qc.prioritized, job.id) or rcall("LREM", qc.wait, 1, job.id)
    if removed > 0 then
      rcall("ZREM", sk, job.id)
      rcall("LPUSH", heldKey(P, T, Q), heldEntry(job.id, job.priority))
      pulled = pulled + 1
    end
  end
  return pulled
end

-- After a capped tenant's slot frees: promote its oldest held tasks across all its queues,
-- one at a time, while the cap and each queue's window allow.
local function fillTenant(P, T, cfg, now)
  local queues = rcall("SMEMBERS", tenantQueuesKey(P, T))
  if not cfg.enabled then return 0 end
  if not cfg.maxConcurrent or #queues == 1 then
    local promoted = 0
    for _, q in ipairs(queues) do promoted = promoted + fillQueue(P, T, q, cfg, now) end
    return promoted
  end
  local promoted = 0
  local capRoom = cfg.maxConcurrent - slotsInUse(P, T)
  while capRoom > 0 do
    local bestQueue, bestTimestamp = nil, nil
    for _, q in ipairs(queues) do
      local head = rcall("LINDEX", heldKey(P, T, q), 0)
      if head and windowOf(P, q) - waitingCount(P, T, q) > 0 then
        local id = parseHeld(head)
        local ts = tonumber(rcall("HGET", queueContext(P, q).prefix .. id, "timestamp")) or 0
        if bestTimestamp == nil or ts < bestTimestamp then bestQueue, bestTimestamp = q, ts end
      end
    end
    if bestQueue == nil then break end
    local n = promoteHeld(P, T, bestQueue, 1, now)
    promoted = promoted + n
    capRoom = capRoom - n
  end
  return promoted
end
