--[[
  Delayed tasks and retries in backoff re-enter through the fair path when they come due.
  BullMQ's fetch moves every due job of its delayed set to the wait list, past the tenants'
  windows. Turbine's fetch and finish call promoteDue first: each due task is dispatched into
  its tenant's window, or held back behind the tenant's other work, as a new task is
  (dispatchOrHold). A job that is not a Turbine task is queued as BullMQ would queue it.
  promoteDue takes at most DUE_BATCH per call, to bound the call's time; when more are due,
  the caller has the worker fetch again at once for the next batch. BullMQ's own promotion
  must not take them past the fair path: it is left out of the BullMQ steps Turbine runs
  (duePromotedFirst.lua).
  A held task parked here to wake the queue for a throttled tenant (scheduleRateWake) goes
  back to the head of its held list, and the queue is filled as the tenant's rate now allows.
]]
--- @include "claim"

-- At most this many due jobs per call (BullMQ takes 1 000): a burst due together is promoted
-- over several fetches, each short enough not to hold up the others' calls. While a burst
-- lasts, every worker slot's fetch carries a batch and Redis is busy with them: each call's
-- wait grows with the batch (about concurrency x the batch's time), and so does the wait of a
-- sparse tenant's task for the fetch that takes it. Benchmark 8's delayed probe (concurrency
-- 50) measured a quiet task's p99 wait at 340 ms with 100 and 78–140 ms with 20 (10 was no
-- better: 117 ms), for two extra commands per batch.
local DUE_BATCH = 20
-- DUE_BATCH as text for redis.call (see intArg), made on first use: library code that runs as
-- a Redis Function loads may not call the string functions.
local dueBatchArg = nil

-- Returns true when more jobs may be due than this call promoted.
-- A call in the same millisecond as one that left nothing due skips the read (qc.settledAt; a
-- Redis Function keeps it between calls): a job delayed since then comes due after its adder's
-- clock said "now", and that is later than this millisecond unless the adder's clock is behind
-- this worker's. At full speed a queue's fetches and finishes come several per millisecond.
local function promoteDue(P, Q, now)
  local qc = queueContext(P, Q)
  if qc.settledAt == now then return false end
  -- Scores are timestamp * 0x1000 + a counter (BullMQ's getDelayedScore).
  dueBatchArg = dueBatchArg or intArg(DUE_BATCH)
  local due = rcall("ZRANGEBYSCORE", qc.delayed, "0", intArg((now + 1) * 0x1000 - 1), "LIMIT", "0", dueBatchArg)
  qc.settledAt = #due < DUE_BATCH and now or nil
  if #due == 0 then return false end
  -- The queue's state (paused, event stream length) is read only when there is work to place:
  -- most fetches and finishes find nothing due.
  queueState(qc)
  rcall("ZREM", qc.delayed, unpack(due))
  local configs = {}
  -- A tenant held back once in this batch stays held for the rest of it (nothing of its frees
  -- up meanwhile): its later plain tasks join the tail of its held list in one RPUSH, without
  -- the window and cap reads of dispatchOrHold (nor the held mark a trace reads: their
  -- turbine.held span is not recorded). A prioritized one is placed as usual, after the tail
  -- gathered so far.
  local heldTail = {}
  local function flushHeld(T)
    if heldTail[T] then flushPending(heldKey(P, T, Q), heldTail[T]) end
  end
  for _, jobId in ipairs(due) do
    local jobKey = qc.prefix .. jobId
    local fields = rcall("HMGET", jobKey, "opts", "priority", RATE_WAKE_FIELD)
    local T = tenantInOpts(fields[1])
    local cfg = T and configs[T]
    if T and cfg == nil then
      cfg = readTenant(P, T) or false
      configs[T] = cfg
    end
    local wakeEntry = fields[3]
    if wakeEntry then rcall("HDEL", jobKey, RATE_WAKE_FIELD) end
    if cfg and wakeEntry then
      -- Back where it was held (it never started), then as many as the rate allows.
      rcall("ZREM", deferredKey(P, T), Q .. ":" .. jobId)
      rcall("HDEL", rateWakeKey(P, T), Q)
      rcall("LPUSH", heldKey(P, T, Q), wakeEntry)
      fillQueue(P, T, Q, cfg, now)
    else
      rcall("HSET", jobKey, "delay", 0)
      rcall("XADD", qc.events, "MAXLEN", "~", qc.maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "delayed")
      if cfg then
        rcall("ZREM", deferredKey(P, T), Q .. ":" .. jobId)
        local priority = tonumber(fields[2]) or 0
        if heldTail[T] and priority == 0 then
          table.insert(heldTail[T], jobId)
        else
          flushHeld(T)
          if dispatchOrHold(P, T, Q, cfg, jobId, priority, now, isTraced(fields[1])) == 2 then
            heldTail[T] = heldTail[T] or {}
          end
        end
      else
        -- No tenant (or a deleted one): BullMQ's way; the worker dead-letters it when fetched.
        rcall("LPUSH", qc.wait, jobId)
        wakeWorkers(qc)
      end
    end
  end
  for T in pairs(heldTail) do flushHeld(T) end
  return #due == DUE_BATCH
end
