--[[
  Dispatch slots, parking and promotion.

  A task of tenant T in queue Q is in exactly one of these places until it finishes:
    - held:    parked in BullMQ's delayed set at PARKED_SCORE and listed in held(T,Q), oldest first;
    - waiting: in Q's wait list (or prioritized set), with slots(T,Q)[jobId] = -dispatchedAt;
    - running: in Q's active list, with slots(T,Q)[jobId] = lease expiry (ms);
    - deferred: in BullMQ's delayed set for a real delay or a retry backoff, listed in deferred(T).
  Limits: waiting(T,Q) <= the queue's dispatch window; waiting + running over all of T's queues
  <= max_concurrent_tasks. So the shared wait list only holds work that may run now, and a
  quiet tenant's task waits behind at most a window of each other tenant's tasks.
]]
--- @include "keys"
--- @include "bullmq:addJobInTargetList"
--- @include "bullmq:addJobWithPriority"
--- @include "bullmq:getOrSetMaxEvents"
--- @include "bullmq:isQueuePausedOrMaxed"

-- 2038-01-01T00:00:00Z in BullMQ's delayed-score encoding (ms * 0x1000): far enough that BullMQ
-- never promotes a parked task by itself, small enough to stay exact in a double.
local PARKED_SCORE = 2145916800000 * 0x1000

-- BullMQ keys of a queue, computed once per script run.
local queueContexts = {}
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

local function windowOf(P, Q, defaultWindow)
  return tonumber(rcall("HGET", windowKey(P), Q)) or defaultWindow
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

-- Puts a stored job into its queue's wait list (or prioritized set), with a waiting slot.
local function enqueueWithSlot(P, T, Q, jobId, priority, now)
  local qc = queueState(queueContext(P, Q))
  if priority == 0 then
    addJobInTargetList(qc.wait, qc.marker, "LPUSH", qc.pausedOrMaxed, jobId)
  else
    addJobWithPriority(qc.marker, qc.prioritized, priority, jobId, qc.pc, qc.pausedOrMaxed)
  end
  rcall("XADD", qc.events, "MAXLEN", "~", qc.maxEvents, "*", "event", "waiting", "jobId", jobId)
  rcall("ZADD", slotsKey(P, T, Q), -now, jobId)
end

-- Parks a stored job that is in no BullMQ list yet, behind the tenant's other held tasks.
local function parkNew(P, T, Q, jobId)
  rcall("ZADD", queueContext(P, Q).delayed, PARKED_SCORE, jobId)
  rcall("RPUSH", heldKey(P, T, Q), jobId)
end

-- Moves up to `count` held tasks of T in Q to the wait list, oldest first. Entries whose job
-- is no longer parked (removed, or promoted by hand) are dropped on the way.
local function promoteHeld(P, T, Q, count, now)
  local key = heldKey(P, T, Q)
  local qc = queueContext(P, Q)
  local promoted = 0
  while promoted < count do
    local jobId = rcall("LPOP", key)
    if not jobId then break end
    if rcall("ZREM", qc.delayed, jobId) == 1 then
      local priority = tonumber(rcall("HGET", qc.prefix .. jobId, "priority")) or 0
      enqueueWithSlot(P, T, Q, jobId, priority, now)
      promoted = promoted + 1
    end
  end
  return promoted
end

-- Free room for T in Q: the window left, bounded by the tenant's cap left.
local function roomIn(P, T, Q, cfg, defaultWindow)
  if not cfg.enabled then return 0 end
  local room = windowOf(P, Q, defaultWindow) - waitingCount(P, T, Q)
  if cfg.maxConcurrent and room > 0 then
    room = math.min(room, cfg.maxConcurrent - slotsInUse(P, T))
  end
  return room
end

-- Promotes held tasks of T in Q into the room there is.
local function fillQueue(P, T, Q, cfg, now, defaultWindow)
  if rcall("LLEN", heldKey(P, T, Q)) == 0 then return 0 end
  local room = roomIn(P, T, Q, cfg, defaultWindow)
  if room <= 0 then return 0 end
  return promoteHeld(P, T, Q, room, now)
end

-- After a capped tenant's slot frees: promote its oldest held tasks across all its queues,
-- one at a time, while the cap and each queue's window allow.
local function fillTenant(P, T, cfg, now, defaultWindow)
  local queues = rcall("SMEMBERS", tenantQueuesKey(P, T))
  if not cfg.maxConcurrent then
    local promoted = 0
    for _, q in ipairs(queues) do promoted = promoted + fillQueue(P, T, q, cfg, now, defaultWindow) end
    return promoted
  end
  if not cfg.enabled then return 0 end
  local promoted = 0
  local capRoom = cfg.maxConcurrent - slotsInUse(P, T)
  while capRoom > 0 do
    local bestQueue, bestTimestamp = nil, nil
    for _, q in ipairs(queues) do
      local head = rcall("LINDEX", heldKey(P, T, q), 0)
      if head and windowOf(P, q, defaultWindow) - waitingCount(P, T, q) > 0 then
        local ts = tonumber(rcall("HGET", queueContext(P, q).prefix .. head, "timestamp")) or 0
        if bestTimestamp == nil or ts < bestTimestamp then bestQueue, bestTimestamp = q, ts end
      end
    end
    if bestQueue == nil then break end
    -- A stale head entry is dropped without promoting; the list shrinks, so this ends.
    local n = promoteHeld(P, T, bestQueue, 1, now)
    promoted = promoted + n
    capRoom = capRoom - n
  end
  return promoted
end
