--[[
  Dispatch slots, parking and promotion.

  A task of tenant T in queue Q is in exactly one of these places until it finishes:
    - held:     listed in held(T,Q), oldest first (its job hash exists; it is in no BullMQ list);
    - waiting:  in Q's wait list (or prioritized set), with slots(T,Q)[jobId] = -(dispatchedAt x 4
                + flags) (see waitingSlotScore);
    - running:  in Q's active list, with slots(T,Q)[jobId] = lease expiry (ms);
    - deferred: in BullMQ's delayed set (a delay or a retry backoff), listed in deferred(T).
  Limits: waiting(T,Q) <= T's window in Q (its weight's share of the queue's window among the
  tenants busy there, at least 1); waiting + running over all of T's queues <=
  max_concurrent_tasks. So the shared wait list holds about one queue window of work that may
  run now, whatever the number of busy tenants, and a tenant with nothing waiting, held or
  running in Q has its task placed where the next fetch takes it.
  A tenant's tasks wait in its pool's wait list of Q (keys.lua: poolBullKey), and the figures
  fairness keeps per queue (busy tenants, their weights, the window) are kept per lane, the
  pool's part of Q (laneOf): within a pool, tenants share its workers as they would a queue's.
  Every task goes to the wait list, prioritized or not: BullMQ fetches its wait list before its
  prioritized set, so a tenant's plain tasks would starve another tenant's prioritized ones.
  A throttled tenant (a rate limit: includes/rate.lua) also has no more tasks waiting, over all
  its queues, than its limits let start now; when the rate is what holds its tasks back, one
  held task is parked in BullMQ's delayed set until the next start is allowed (scheduleRateWake).
]]
--- @include "core:keys"
--- @include "held"
--- @include "core:tenantConfig"
--- @include "rate"
--- @include "usage"
--- @include "bullmq:addBaseMarkerIfNeeded"
--- @include "bullmq:addDelayMarkerIfNeeded"
--- @include "bullmq:getOrSetMaxEvents"
--- @include "bullmq:isQueuePausedOrMaxed"

-- Window of a queue the reconciler has not set yet (src/dispatcher/window.ts, same value).
local DEFAULT_WINDOW = 100

-- BullMQ keys of a queue (the wait list and marker of `pool`'s workers), and (queueState) its
-- paused state and event stream length, read once per call. A command loaded as a Redis
-- Function keeps these locals between calls, so it starts each call with beginCall(now): the
-- keys are kept (building ten key names costs a call about as much as three Redis commands),
-- the state is read again. Kept per prefix and lane, and dropped past MAX_QUEUE_CONTEXTS (one
-- library serves every prefix on the server).
local MAX_QUEUE_CONTEXTS = 1000
local queueContexts, queueContextCount, touchedContexts = {}, 0, {}
-- Whether this call has put a task first in line already (see enqueueWithSlots).
local frontTaken = false
local function beginCall(now)
  for i = 1, #touchedContexts do
    local qc = touchedContexts[i]
    qc.pausedOrMaxed, qc.maxEvents, qc.baseMarked, qc.touched = nil, nil, nil, nil
  end
  touchedContexts = {}
  frontTaken = false
  beginRateCall()
  beginUsageCall(now)
end

local function queueContext(P, Q, pool)
  local lane = laneOf(Q, pool)
  local ofPrefix = queueContexts[P]
  local qc = ofPrefix and ofPrefix[lane]
  if qc == nil then
    if queueContextCount >= MAX_QUEUE_CONTEXTS then queueContexts, queueContextCount = {}, 0 end
    ofPrefix = queueContexts[P]
    if ofPrefix == nil then
      ofPrefix = {}
      queueContexts[P] = ofPrefix
    end
    qc = {
      prefix = bullKey(P, Q, ""),
      wait = poolBullKey(P, Q, pool, "wait"),
      active = bullKey(P, Q, "active"),
      delayed = bullKey(P, Q, "delayed"),
      prioritized = bullKey(P, Q, "prioritized"),
      meta = bullKey(P, Q, "meta"),
      marker = poolBullKey(P, Q, pool, "marker"),
      events = bullKey(P, Q, "events"),
      pc = bullKey(P, Q, "pc"),
      stalled = bullKey(P, Q, "stalled"),
    }
    ofPrefix[lane] = qc
    queueContextCount = queueContextCount + 1
  end
  return qc
end

-- Registers a context whose per-call state (below) beginCall clears.
local function touch(qc)
  if not qc.touched then
    qc.touched = true
    touchedContexts[#touchedContexts + 1] = qc
  end
end

-- Whether the queue is paused or at its concurrency (BullMQ's check, which decides whether
-- workers are woken), read once per call.
local function queuePaused(qc)
  if qc.pausedOrMaxed == nil then
    qc.pausedOrMaxed = isQueuePausedOrMaxed(qc.meta, qc.active)
    touch(qc)
  end
  return qc.pausedOrMaxed
end

-- The base marker of the lane's workers (what wakes a blocked worker) is set for the rest of
-- this call: BullMQ's fetch has just set it (every job it hands out does), or Turbine's own
-- enqueue did. Nothing in a call removes it, so later enqueues need neither set it again nor
-- read whether the queue is paused.
local function baseMarkerSet(qc)
  qc.baseMarked = true
  touch(qc)
end

-- Wakes the lane's workers for tasks just put in its wait list, once per call.
local function wakeWorkers(qc)
  if qc.baseMarked then return end
  local paused = queuePaused(qc)
  addBaseMarkerIfNeeded(qc.marker, paused)
  if not paused then baseMarkerSet(qc) end
end

-- The queue's state for a step that also writes its events: paused, and the length its event
-- stream is trimmed to (qc.maxEvents), read once per call.
local function queueState(qc)
  queuePaused(qc)
  if qc.maxEvents == nil then qc.maxEvents = getOrSetMaxEvents(qc.meta) end
  return qc
end

local function windowOf(P, L)
  return tonumber(rcall("HGET", windowKey(P), L)) or DEFAULT_WINDOW
end

-- Numbers handed to redis.call are formatted with "%.17g", which costs more than many a
-- command; the hot paths pass constants and integers as strings (intArg).
local function intArg(n)
  return string.format("%d", n)
end

local function waitingCount(P, T, Q)
  return rcall("ZCOUNT", slotsKey(P, T, Q), "-inf", "0")
end

-- Busy tenants of a queue: those with tasks in its wait list, each with the weight it had when
-- it became busy (subtracted again when it stops being busy, so the sum cannot drift). A tenant
-- whose tasks are all held (at its cap, or disabled) takes no share: it could not use it.
-- Kept per lane L (laneOf): a pool's tenants share the pool's workers.
local function markBusy(P, T, L, weight)
  if rcall("ZADD", busyKey(P, L), "NX", weight, T) == 1 then
    rcall("HINCRBY", busyWeightKey(P), L, weight)
  end
end

-- T stops being busy in Q (its lane L) once none of its tasks waits there (`waiting`: the
-- count, if known).
local function settleBusy(P, T, Q, L, waiting)
  if (waiting or waitingCount(P, T, Q)) > 0 then return end
  local weight = rcall("ZSCORE", busyKey(P, L), T)
  if weight then
    rcall("ZREM", busyKey(P, L), T)
    rcall("HINCRBY", busyWeightKey(P), L, -tonumber(weight))
  end
end

-- T's window in lane L (its pool's part of a queue): its weight's share of the queue's window among the busy tenants (T counted;
-- `isBusy` when the caller knows T is in the busy set), rounded to the nearest, at least 1. The windows of the busy tenants add up to about the queue's window, so the wait
-- list stays about that long (enough to keep the workers fed) however many tenants are busy.
-- Rounding to the nearest keeps the windows' ratios close to the weights' (rounding up gave
-- the lightest of weights 1 : 2 : 4 a 15 / 102 share against its 14.3 %).
local function shareOfWindow(base, total, weight)
  if total <= weight then return base end
  return math.max(1, math.floor(base * weight / total + 0.5))
end

local function busyWeightOf(P, L)
  return tonumber(rcall("HGET", busyWeightKey(P), L)) or 0
end

local function tenantWindow(P, T, L, weight, isBusy)
  local total = busyWeightOf(P, L)
  if not isBusy and not rcall("ZSCORE", busyKey(P, L), T) then total = total + weight end
  return shareOfWindow(windowOf(P, L), total, weight)
end

-- T's window in lane L as a claim last worked it out, kept for WINDOW_REUSE_MS between the
-- calls of a Redis Function (an EVAL script starts with none), so that the claims of a
-- backlogged tenant can check it once per few ms instead of each time. The lane's figures (its
-- window and busy weight) are kept too (laneFigures), for the claims of every tenant: with
-- thousands of busy tenants, each claims too seldom to find its own window kept. A window that
-- changed meanwhile only moves a refill by a few claims. Per prefix and lane; dropped past
-- MAX_REUSED_WINDOWS tenants. Few: Redis advances Lua's collector a step every 50 script calls,
-- whatever they allocated, so the collector walks the whole Lua heap over and over, and with
-- 10 000 busy tenants (each claiming seconds apart, so never finding its window kept) a window
-- kept for each of them made the heap megabytes larger and every task slower.
local WINDOW_REUSE_MS = 20
local MAX_REUSED_WINDOWS = 1000
local reusedWindows, reusedWindowCount = {}, 0

local function windowsOfLane(P, L)
  local ofPrefix = reusedWindows[P]
  if ofPrefix == nil then
    ofPrefix = {}
    reusedWindows[P] = ofPrefix
  end
  local ofLane = ofPrefix[L]
  if ofLane == nil then
    ofLane = { window = {}, at = {} }
    ofPrefix[L] = ofLane
  end
  return ofLane
end

-- The lane's window and busy weight, read at most once per LANE_FIGURES_REUSE_MS: shorter than
-- a tenant's window is kept, since every tenant's refills share them (a claim happens every
-- fraction of a ms at full rate, so even 5 ms saves nearly every read).
local LANE_FIGURES_REUSE_MS = 5
local function laneFigures(P, L, ofLane, now)
  local at = ofLane.figuresAt
  if not (at and now - at <= LANE_FIGURES_REUSE_MS and now >= at) then
    ofLane.base, ofLane.total, ofLane.figuresAt = windowOf(P, L), busyWeightOf(P, L), now
  end
  return ofLane.base, ofLane.total
end

-- T's window in L if a claim worked it out in the last WINDOW_REUSE_MS, else nil.
local function reusedWindow(P, T, L, now)
  local ofLane = windowsOfLane(P, L)
  local at = ofLane.at[T]
  if at and now - at <= WINDOW_REUSE_MS and now >= at then return ofLane.window[T] end
  return nil
end

-- Works T's window in L out (T is busy: a task of it was waiting, so the busy set holds the
-- weight to share by, unless the caller gives T's `weight`, from its configuration; should T be
-- missing there, math.huge: any claim refills, which marks T busy again) and keeps it for
-- reusedWindow.
local function workOutWindow(P, T, L, now, weight)
  local ofLane = windowsOfLane(P, L)
  if ofLane.at[T] == nil then
    if reusedWindowCount >= MAX_REUSED_WINDOWS then
      reusedWindows, reusedWindowCount = {}, 0
      ofLane = windowsOfLane(P, L)
    end
    reusedWindowCount = reusedWindowCount + 1
  end
  weight = weight or tonumber(rcall("ZSCORE", busyKey(P, L), T))
  local window = math.huge
  if weight then
    local base, total = laneFigures(P, L, ofLane, now)
    window = shareOfWindow(base, total, weight)
  end
  ofLane.window[T], ofLane.at[T] = window, now
  return window
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
-- Waiting slot scores are -(dispatchedAt x 4 + f), f a sum of flags: REFILL_MARK, and RATED for
-- a task of a throttled tenant, whose claim charges its rate limits (so the claim of any other
-- task reads nothing more). Whole numbers (exact in a double for 70 000 years yet): a
-- tenant's slots are few, so Redis keeps them as a listpack, where it compares whole-number
-- scores as integers but parses any other score from text at each entry it passes (a claim's
-- count of the waiting tasks passes them all).
local RATED, REFILL_MARK = 1, 2
local function waitingSlotScore(dispatchedAt, flags) return -(dispatchedAt * 4 + flags) end
local function slotFlags(score) return -score % 4 end
local function dispatchedAtOf(score) return math.floor(-score / 4) end
local function isRefillMark(score) return slotFlags(score) >= REFILL_MARK end
local function isRated(score) return slotFlags(score) % 2 == RATED end

local function markHalfway(P, T, Q, waiting, window)
  local sk = slotsKey(P, T, Q)
  -- Highest waiting slot score first is oldest first, the claim order.
  local slots = rcall("ZREVRANGEBYSCORE", sk, 0, "-inf", "WITHSCORES")
  for i = 2, #slots, 2 do
    if isRefillMark(tonumber(slots[i])) then return end
  end
  local rank = math.min(math.ceil(window / 2), waiting)
  if rank >= 1 and slots[rank * 2] then
    rcall("ZADD", sk, "XX", intArg(tonumber(slots[rank * 2]) - REFILL_MARK), slots[rank * 2 - 1])
  end
end

-- A refill that found no room (T's window shrank as more tenants became busy): mark the waiting
-- task whose claim leaves half the window waiting (the last one for a window of 1), so that a
-- later claim refills. Without it, T's held tasks would wait for the reconciler.
local function markForRefill(P, T, Q, window)
  local sk = slotsKey(P, T, Q)
  local rank = math.max(1, waitingCount(P, T, Q) - math.floor(window / 2))
  local slot = rcall("ZREVRANGEBYSCORE", sk, 0, "-inf", "WITHSCORES", "LIMIT", rank - 1, 1)
  if slot[2] and not isRefillMark(tonumber(slot[2])) then
    rcall("ZADD", sk, "XX", intArg(tonumber(slot[2]) - REFILL_MARK), slot[1])
  end
end

-- Emits BullMQ's 'waiting' event for an accepted task. Emitted when a task is accepted, held
-- back or not (a held task waits for its tenant's turn, as BullMQ Pro's grouped jobs do), so
-- promotion emits nothing more.
local function emitWaiting(qc, jobId)
  rcall("XADD", qc.events, "MAXLEN", "~", qc.maxEvents, "*", "event", "waiting", "jobId", jobId)
end

-- A sparse tenant in Q (FQ-CoDel's sparse flow): none of its tasks waits or is held there, and
-- fewer than its window run. Its next task goes where the next fetch takes it, so a tenant
-- that submits now and then does not wait behind the busy ones, however many they are. A
-- tenant gains at most one task ahead of others this way, and only while it runs less than a
-- window's worth: a backlog (held tasks) or a full window never counts as sparse.
local function isSparse(P, T, Q, waiting, held, window)
  return waiting == 0 and held == 0 and rcall("ZCARD", slotsKey(P, T, Q)) < window
end

-- Puts stored jobs into their queue's wait list of T's pool (cfg.pool) with waiting slots. `jobs` is a list of
-- {id, priority} (priority orders T's held tasks, not the shared list); `waiting` is how many
-- of T's tasks wait in Q before them. A batch (promotion) marks its first task at or past half
-- the window; a single admission marks only the task that crosses half. `front` (a single job
-- of a sparse tenant: isSparse) puts it at the end workers fetch from next, once per call: a
-- call that places many sparse tenants' tasks (a bulk submission for many idle tenants, a
-- batch of due tasks) counts as one arrival, and its other tasks take their places in line.
-- Otherwise such a batch, placed last in first out, would bury a quiet tenant's task that
-- arrived just before it under hundreds of others.
local function enqueueWithSlots(P, T, Q, jobs, now, waiting, window, batch, front, cfg, rated, knownBusy)
  if #jobs == 0 then return end
  if front then
    if frontTaken then front = false else frontTaken = true end
  end
  local base = waitingSlotScore(now, rated and RATED or 0)
  local baseArg, markArg = intArg(base), intArg(base - REFILL_MARK)
  local qc = queueContext(P, Q, cfg.pool)
  -- `knownBusy`: the caller (a claim's refill) knows T is in the busy set.
  if not knownBusy then markBusy(P, T, laneOf(Q, cfg.pool), cfg.weight) end
  local half = math.ceil(window / 2)
  local markAt = (batch and waiting >= half) and (waiting + 1) or half
  local ids, slots = {}, {}
  for i, job in ipairs(jobs) do
    ids[#ids + 1] = job[1]
    slots[#slots + 1] = (waiting + i == markAt) and markArg or baseArg
    slots[#slots + 1] = job[1]
  end
  -- BullMQ fetches from the right end (RPOPLPUSH). LPUSH a b c leaves a nearest that end, so a
  -- batch keeps its order behind everything already waiting.
  rcall(front and "RPUSH" or "LPUSH", qc.wait, unpack(ids))
  wakeWorkers(qc)
  rcall("ZADD", slotsKey(P, T, Q), unpack(slots))
end

-- Held entries looked at from the tail to place a task by priority.
local PRIORITY_SCAN = 100

-- Pushes the entries a caller gathered for the tail of held list `hk` (parkNew's `pending`),
-- and empties the list of them.
local function flushPending(hk, pending)
  if #pending == 0 then return end
  rcall("RPUSH", hk, unpack(pending))
  for i = #pending, 1, -1 do pending[i] = nil end
end

-- Holds back a stored job that is in no BullMQ list yet, behind the tenant's held tasks of the
-- same or a more urgent priority (none first, as BullMQ takes its wait list before its
-- prioritized set; then 1, 2, …), ahead of less urgent ones; records when and why for a traced
-- task (`job`: {id, priority, traced, fresh}; recordHold). Only the last PRIORITY_SCAN
-- entries are looked at: usually the tail already qualifies, and the cost stays bounded.
-- `tailPriority`: the priority of the held list's last entry when the caller knows it (it
-- parked that entry itself), saving the read. Returns the last entry's priority afterwards.
-- `pending`: entries the caller pushes to the tail later in one RPUSH (flushPending), where an
-- entry for the tail goes; they are pushed first when this one goes elsewhere in the list.
local function parkNew(P, T, Q, job, now, reason, tailPriority, pending)
  local jobId, priority = job[1], job[2]
  if job[3] then recordHold(queueContext(P, Q).prefix .. jobId, now, reason, job[4]) end
  local hk = heldKey(P, T, Q)
  local entry = heldEntry(jobId, priority)
  if tailPriority == nil then
    local last = rcall("LINDEX", hk, -1)
    tailPriority = last and select(2, parseHeld(last))
  end
  if not tailPriority or tailPriority <= priority then
    if pending then pending[#pending + 1] = entry else rcall("RPUSH", hk, entry) end
    return priority
  end
  if pending then flushPending(hk, pending) end
  local tail = rcall("LRANGE", hk, -PRIORITY_SCAN, -1)
  for i = #tail, 1, -1 do
    local _, p = parseHeld(tail[i])
    if p <= priority then
      rcall("LINSERT", hk, "AFTER", tail[i], entry)
      return tailPriority
    end
  end
  if #tail < PRIORITY_SCAN then rcall("LPUSH", hk, entry)
  else rcall("LINSERT", hk, "BEFORE", tail[1], entry) end
  return tailPriority
end

-- Moves up to `count` held tasks of T in Q (oldest first, at most 1000 at a time) to the queue.
-- A held job removed through BullMQ (Job.remove, obliterate) leaves its entry behind. It is
-- not looked for here (that would cost a read per task): the claim that fetches its id finds
-- no job, drops it and frees its slot (claimFetched).
local function promoteHeld(P, T, Q, count, now, waiting, window, cfg, rated, knownBusy)
  if count <= 0 then return 0 end
  local entries = rcall("LPOP", heldKey(P, T, Q), intArg(math.min(count, 1000)))
  if not entries then return 0 end
  local jobs = {}
  for i, entry in ipairs(entries) do
    local id, priority = parseHeld(entry)
    jobs[i] = { id, priority }
  end
  enqueueWithSlots(P, T, Q, jobs, now, waiting, window, true, false, cfg, rated, knownBusy)
  return #jobs
end

-- T's waiting tasks over all its queues: the starts its rate limits have promised.
local function tenantWaiting(P, T)
  local n = 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do n = n + waitingCount(P, T, q) end
  return n
end

-- Starts a throttled tenant's limits allow now beyond its waiting tasks.
local function rateRoom(P, T, cfg)
  return rateAvailable(P, T, cfg, rateNow()) - tenantWaiting(P, T)
end

-- Free room for T in Q: its window left, bounded by the tenant's cap and rate left.
local function roomIn(P, T, cfg, waiting, window)
  if not cfg.enabled then return 0 end
  local room = window - waiting
  if cfg.maxConcurrent and room > 0 then
    room = math.min(room, cfg.maxConcurrent - slotsInUse(P, T))
  end
  if room > 0 and throttles(cfg) then room = math.min(room, rateRoom(P, T, cfg)) end
  return room
end

-- The job field that marks a held task parked in the delayed set to wake its queue (its held
-- entry: it goes back to the head of the held list when due).
local RATE_WAKE_FIELD = "trw"

-- Parks T's oldest held task of Q in BullMQ's delayed set until `at`, unless one is parked
-- already: when it comes due, Turbine's fetch puts it back at the head of the held list and
-- fills the queue (promoteDue). BullMQ's delay marker wakes a worker at that time, so held
-- tasks start as the rate allows even when nothing else happens in the queue. The task counts
-- as deferred meanwhile (pending stays exact).
local function scheduleRateWake(P, T, Q, at)
  local qc = queueContext(P, Q)
  local wk = rateWakeKey(P, T)
  local parked = rcall("HGET", wk, Q)
  if parked and rcall("ZSCORE", qc.delayed, parked) then return end
  local hk = heldKey(P, T, Q)
  -- Entries of jobs removed behind Turbine's back are dropped, a bounded number per call.
  for _ = 1, 100 do
    local entry = rcall("LPOP", hk)
    if not entry then break end
    local id = parseHeld(entry)
    local jobKey = qc.prefix .. id
    if rcall("EXISTS", jobKey) == 1 then
      rcall("HSET", jobKey, RATE_WAKE_FIELD, entry)
      -- BullMQ's delayed score: the due time x 0x1000 (the low bits order jobs due together).
      rcall("ZADD", qc.delayed, at * 0x1000, id)
      rcall("ZADD", deferredKey(P, T), at, Q .. ":" .. id)
      rcall("HSET", wk, Q, id)
      addDelayMarkerIfNeeded(qc.marker, qc.delayed)
      return
    end
  end
  rcall("HDEL", wk, Q)
end

-- After T's tasks of Q were dispatched or held: when T is throttled, has tasks held and none
-- waiting in Q (a waiting task's claim refills Q), and its rate is what holds them (not its
-- window or cap, whose own releases refill), wake Q when the next start is allowed.
local function wakeForRate(P, T, Q, cfg)
  if not (cfg.enabled and throttles(cfg)) then return end
  if waitingCount(P, T, Q) > 0 or rcall("LLEN", heldKey(P, T, Q)) == 0 then return end
  local now, waiting = rateNow(), tenantWaiting(P, T)
  if rateAvailable(P, T, cfg, now) > waiting then return end
  scheduleRateWake(P, T, Q, math.max(rateNextStart(P, T, cfg, now, waiting), now + 1))
end

-- Promotes held tasks of T in Q into the room there is. `remark`: when there is none, make
-- sure a waiting task will trigger the next refill (markForRefill). `waiting` and `window`:
-- T's waiting tasks in Q and its window there, when the caller (a claim, which has seen held
-- tasks) has them; a window given also says that T is busy in Q.
local function fillQueue(P, T, Q, cfg, now, remark, waiting, window)
  if waiting == nil then
    if rcall("LLEN", heldKey(P, T, Q)) == 0 then return 0 end
    waiting = waitingCount(P, T, Q)
  end
  local knownBusy = window ~= nil
  window = window or tenantWindow(P, T, laneOf(Q, cfg.pool), cfg.weight)
  local promoted = promoteHeld(P, T, Q, roomIn(P, T, cfg, waiting, window), now, waiting, window, cfg,
    throttles(cfg), knownBusy)
  if promoted == 0 and remark and waiting > 0 then markForRefill(P, T, Q, window) end
  wakeForRate(P, T, Q, cfg)
  return promoted
end

-- The fair path of a stored job of T that is in no BullMQ list (a new task, a delayed task or
-- retry come due, a task that skipped it): to the wait list if T has room in its window and
-- cap and nothing held in Q, else held back behind T's held tasks. `traced`: the job carries a
-- trace context (isTraced). Returns 1 dispatched, 2 held.
local function dispatchOrHold(P, T, Q, cfg, jobId, priority, now, traced)
  local held = rcall("LLEN", heldKey(P, T, Q))
  if held > 0 and not traced then
    -- Behind its held tasks a task waits its turn whatever room there is, so nothing more is
    -- read: only the hold record a trace reads needs the reason. (A burst of due tasks of
    -- backlogged tenants takes this path for nearly all of them.)
    parkNew(P, T, Q, { jobId, priority, false, false }, now, nil)
    wakeForRate(P, T, Q, cfg)
    return 2
  end
  local waiting = waitingCount(P, T, Q)
  local window = tenantWindow(P, T, laneOf(Q, cfg.pool), cfg.weight)
  local room = roomIn(P, T, cfg, waiting, window)
  if held == 0 and room > 0 then
    local front = isSparse(P, T, Q, waiting, held, window)
    enqueueWithSlots(P, T, Q, { { jobId, priority } }, now, waiting, window, false, front, cfg,
      throttles(cfg))
    return 1
  end
  if held == 0 and waiting > 0 then markHalfway(P, T, Q, waiting, window) end
  local inUse = cfg.maxConcurrent and slotsInUse(P, T)
  parkNew(P, T, Q, { jobId, priority, traced, false }, now, holdReason(cfg, inUse, room, held, waiting >= window))
  wakeForRate(P, T, Q, cfg)
  return 2
end

-- The tenant's waiting tasks of Q go back to the head of its held list, in submission order (a
-- disabled tenant's queued tasks wait there until it is enabled; a tenant moved to another pool
-- has them promoted into the new pool's wait list). `pool`: the pool whose wait list they are
-- in. A task already fetched stays.
local function pullBackWaiting(P, T, Q, pool)
  local qc = queueContext(P, Q, pool)
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
    -- In the wait list (or, put there before Turbine queued every task there, the prioritized set).
    local removed = rcall("LREM", qc.wait, 1, job.id)
    if removed == 0 and job.priority > 0 then removed = rcall("ZREM", qc.prioritized, job.id) end
    if removed > 0 then
      rcall("ZREM", sk, job.id)
      rcall("LPUSH", heldKey(P, T, Q), heldEntry(job.id, job.priority))
      pulled = pulled + 1
    end
  end
  settleBusy(P, T, Q, laneOf(Q, pool))
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
  if throttles(cfg) then capRoom = math.min(capRoom, rateRoom(P, T, cfg)) end
  while capRoom > 0 do
    local bestQueue, bestTimestamp = nil, nil
    for _, q in ipairs(queues) do
      local head = rcall("LINDEX", heldKey(P, T, q), 0)
      if head and tenantWindow(P, T, laneOf(q, cfg.pool), cfg.weight) - waitingCount(P, T, q) > 0 then
        local id = parseHeld(head)
        local ts = tonumber(rcall("HGET", queueContext(P, q).prefix .. id, "timestamp")) or 0
        if bestTimestamp == nil or ts < bestTimestamp then bestQueue, bestTimestamp = q, ts end
      end
    end
    if bestQueue == nil then break end
    local n = promoteHeld(P, T, bestQueue, 1, now, waitingCount(P, T, bestQueue),
      tenantWindow(P, T, laneOf(bestQueue, cfg.pool), cfg.weight), cfg, throttles(cfg))
    promoted = promoted + n
    capRoom = capRoom - n
  end
  for _, q in ipairs(queues) do wakeForRate(P, T, q, cfg) end
  return promoted
end
