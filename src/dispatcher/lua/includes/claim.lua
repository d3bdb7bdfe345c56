--[[
  Turbine's steps around BullMQ's fetch and finish, run inside Turbine's versions of
  moveToActive and moveToFinished (run by src/dispatcher/bullmq-backend.ts).

  claimFetched: BullMQ has just moved a job to active and locked it. A task dispatched by
  admission holds a waiting slot: it becomes running (a lease renewed with the lock) and the
  window room it leaves is refilled. That path reads no tenant configuration: disabling a
  tenant pulls its waiting tasks back (updateTenant), so a waiting slot means "may run". A
  task without a slot (a retry without backoff, a task put back by a stopping worker, one whose
  lease lapsed) runs if its tenant has nothing else waiting, held or running in the queue and
  its cap allows; otherwise the fetch is undone, without using an attempt, and the task takes
  the fair path (dispatchOrHold) behind the tenant's other work. A job added around admission
  (plain BullMQ) takes no slot: it is flagged for the worker, which dead-letters it. A job whose
  hash is gone is dropped. A throttled tenant's task is charged to its rate limits as it starts
  (its slot says so: the claim of any other task reads nothing more).
  Pools: a worker fetches from its pool's wait list only (workerLane), where admission and
  promotion put only the pool's tenants' tasks with waiting slots, so that path needs no check.
  A task that reaches a worker without a waiting slot (redelivered after a stall, put back by a
  stopping worker, retried without backoff, all into the wait list of whichever worker did it)
  is checked: if its tenant belongs to another pool (now), the fetch is undone and the task
  takes its own pool's fair path.

  Each claim that lets a task run counts a start in the tenant's usage (includes/usage.lua).

  releaseFinished: BullMQ has completed (or finally failed) a job: its running slot is freed and
  handed to the tenant's held tasks in the same step.
]]
--- @include "core:tenantConfig"
--- @include "slots"
--- @include "admitted"
--- @include "core:deadLetter"
--- @include "usage"

-- What a worker's key prefix and wait list say, worked out once per pair and kept between
-- the calls of a Redis Function (as queueContext keeps keys), dropped past 1000 pairs.
local workerLanes, workerLaneCount = {}, 0

-- Turbine's prefix, the queue name and the pool of the worker whose fetch or finish this is,
-- from BullMQ's key prefix "<P>:q:<Q>:" and the wait list it fetches from (KEYS[1] of BullMQ's
-- moveToActive and moveToFinished). Only Turbine's workers call these (turbineBackend), with
-- Turbine's prefix and a queue name without ":" (the config's rule).
local function workerLane(keyPrefix, waitKey)
  local pair = keyPrefix .. "\0" .. waitKey
  local lane = workerLanes[pair]
  if lane == nil then
    local P, Q = string.match(keyPrefix, "^(.*):q:([^:]+):$")
    if not P then
      error("Turbine's fetch and finish serve Turbine's queues only: key prefix '" .. keyPrefix
        .. "' is not '<prefix>:q:<queue>:'")
    end
    local own, pool = bullKey(P, Q, "wait:"), SHARED_POOL
    if string.sub(waitKey, 1, #own) == own then pool = string.sub(waitKey, #own + 1) end
    lane = { P, Q, pool }
    if workerLaneCount >= 1000 then workerLanes, workerLaneCount = {}, 0 end
    workerLanes[pair] = lane
    workerLaneCount = workerLaneCount + 1
  end
  return lane[1], lane[2], lane[3]
end

-- The fields of a fetched job that the claim reads, each with its place in jobFields' result:
-- one table look-up per field of the job (most of them unwanted) instead of a comparison with
-- each name.
local CLAIM_FIELDS = { name = 1, opts = 2, priority = 3, [ADMITTED_FIELD] = 4, [DEAD_LETTER_FIELD] = 5, [HELD_FIELD] = 6 }

-- The fields of a fetched job that the claim reads, in one pass over BullMQ's HGETALL reply.
local function jobFields(flat)
  local found = {}
  for i = 1, #flat, 2 do
    local at = CLAIM_FIELDS[flat[i]]
    if at then found[at] = flat[i + 1] end
  end
  return found[1], found[2], found[3], found[4], found[5], found[6]
end

-- The tenant in a job's options, where admission writes it (`tid`), for a step that reads the
-- options anyway. Tenant ids hold no quote or escape, so a pattern finds it without decoding
-- the JSON.
local function tenantInOpts(optsJson)
  return optsJson and string.match(optsJson, '"tid":"([^"]+)"')
end

-- The tenant a job id names ("<tenant>@<task id>", src/core/task-ids.ts); nil for an id
-- Turbine did not make.
local function tenantInJobId(jobId)
  return string.match(jobId, "^([^@]+)@")
end

-- Undoes BullMQ's fetch of a job (lock, active list, start count, processedOn).
local function unfetch(qc, jobId)
  local jobKey = qc.prefix .. jobId
  rcall("DEL", jobKey .. ":lock")
  rcall("LREM", qc.active, -1, jobId)
  rcall("SREM", qc.stalled, jobId)
  return jobKey
end

-- Undoes BullMQ's fetch of a task that is to wait again: fetching counted a start, and
-- holding back is not one.
local function unstart(P, Q, jobId)
  local jobKey = unfetch(queueContext(P, Q), jobId)
  rcall("HINCRBY", jobKey, "ats", -1)
  rcall("HDEL", jobKey, "processedOn", "pb")
end

-- Returns "run" (the worker runs it: a slot is held, or it is not a Turbine task and the
-- worker dead-letters it) or "skip" (held back or dropped: the caller fetches another).
local function claimFetched(P, Q, pool, jobId, flat, now, lease)
  -- BullMQ's fetch of the job has just set the base marker of the worker's lane.
  baseMarkerSet(queueContext(P, Q, pool))
  local name, opts, priority, admitted, deadLetter, held = jobFields(flat)
  if not name then
    -- Removed by hand while held or waiting: the fetch made a stub of it. Its waiting slot (if
    -- it had one) goes to the next of the tenant's held tasks, as a claim's would.
    rcall("DEL", unfetch(queueContext(P, Q), jobId))
    local T = tenantInJobId(jobId)
    if T and rcall("ZREM", slotsKey(P, T, Q), jobId) == 1 then
      local cfg = readTenant(P, T)
      if cfg then fillQueue(P, T, Q, cfg, now, true) end
      settleBusy(P, T, Q, laneOf(Q, cfg and cfg.pool or pool))
    end
    return "skip"
  end
  -- A dead-lettered job fetched again was retried by hand: its entry must not be replayed too.
  if deadLetter then forgetDeadLetter(P, queueContext(P, Q).prefix .. jobId, deadLetter) end
  -- No key is built from the tenant of a job that did not come through admission.
  if not admitted then
    flagNotAdmitted(flat)
    return "run"
  end
  -- The admission mark holds the tenant.
  local T = admitted
  local sk = slotsKey(P, T, Q)
  local score = tonumber(rcall("ZSCORE", sk, jobId))
  -- A running lease: the task was redelivered (stalled) into this worker's wait list, which
  -- may not be its pool's. Without a slot, the checks below read the tenant anyway.
  if score and score > 0 and (rcall("HGET", tenantKey(P, T), "pool") or SHARED_POOL) ~= pool then
    rcall("ZREM", sk, jobId)
    score = nil
  end
  if score then
    local cfg = nil
    if score <= 0 and isRated(score) then
      cfg = readTenant(P, T)
      if cfg and throttles(cfg) then
        -- Dispatch kept T's waiting tasks within its limits, so this start conforms unless the
        -- limits were lowered since: then the task goes back to the head of T's held tasks.
        if rateAvailable(P, T, cfg, rateNow()) < 1 then
          unstart(P, Q, jobId)
          rcall("ZREM", sk, jobId)
          rcall("LPUSH", heldKey(P, T, Q), heldEntry(jobId, tonumber(priority) or 0))
          settleBusy(P, T, Q, laneOf(Q, cfg.pool))
          wakeForRate(P, T, Q, cfg)
          return "skip"
        end
        rateCharge(P, T, cfg, rateNow())
      end
    end
    rcall("ZADD", sk, intArg(now + lease), jobId)
    meterStep(P, T, now, STARTED_COUNTS, "started", "queue", Q, "job_id", jobId)
    if score <= 0 then
      -- A traced task that was held: its release is when it was put in the wait list, which
      -- its waiting slot says.
      if held then rcall("HSET", queueContext(P, Q).prefix .. jobId, RELEASED_FIELD, dispatchedAtOf(score)) end
      local waiting = waitingCount(P, T, Q)
      -- A backlogged tenant's window is refilled once half of it has drained: at once for a
      -- marked task (slots: refill marks), else when the claim finds half the window or less
      -- waiting (windows change as tenants become busy or idle). A window worked out in the
      -- last few ms is reused; else it is worked out only if T has tasks held.
      local L = laneOf(Q, pool)
      local window = reusedWindow(P, T, L, now)
      local refill
      if isRefillMark(score) or (window and waiting * 2 <= window) then
        refill = rcall("LLEN", heldKey(P, T, Q)) > 0
      elseif not window and rcall("LLEN", heldKey(P, T, Q)) > 0 then
        window = workOutWindow(P, T, L, now)
        refill = waiting * 2 <= window
      end
      if refill then
        cfg = cfg or readTenant(P, T)
        if cfg then
          -- A marked task refills before its window is checked: it is worked out now, from the
          -- weight just read (with a window of 1, as thousands of busy tenants have, every
          -- claim refills this way). The refill starts from that window (math.huge: T was not
          -- in the busy set, so the refill works it out and marks T busy).
          window = window or workOutWindow(P, T, L, now, cfg.weight)
          waiting = waiting + fillQueue(P, T, Q, cfg, now, true, waiting, window ~= math.huge and window or nil)
        end
      end
      -- Its last waiting task started: T is no longer busy in Q.
      settleBusy(P, T, Q, L, waiting)
    end
    return "run"
  end
  local cfg = readTenant(P, T)
  if not cfg then return "run" end
  rcall("ZREM", deferredKey(P, T), Q .. ":" .. jobId)
  rcall("SADD", tenantQueuesKey(P, T), Q)
  rcall("SADD", activeTenantsKey(P), T)
  -- Nothing of T waiting, held or running in Q: the fair path would place it first anyway.
  if cfg.enabled and cfg.pool == pool and rcall("ZCARD", sk) == 0 and rcall("LLEN", heldKey(P, T, Q)) == 0
      and (not cfg.maxConcurrent or slotsInUse(P, T) < cfg.maxConcurrent)
      and (not throttles(cfg) or rateRoom(P, T, cfg) > 0) then
    if throttles(cfg) then rateCharge(P, T, cfg, rateNow()) end
    rcall("ZADD", sk, now + lease, jobId)
    meterStep(P, T, now, STARTED_COUNTS, "started", "queue", Q, "job_id", jobId)
    return "run"
  end

  unstart(P, Q, jobId)
  -- Otherwise it takes the fair path, as a new task would: behind T's other work, in T's pool.
  dispatchOrHold(P, T, Q, cfg, jobId, tonumber(priority) or 0, now, isTraced(opts))
  return "skip"
end

-- A claimed task's slot is a running lease: freeing it matters to held tasks only if the tenant
-- is capped (the window counts waiting tasks, not running ones). `capped`: the tenant's
-- max_concurrent_tasks field, read by the caller.
local function releaseFinished(P, T, Q, jobId, now, capped)
  if rcall("ZREM", slotsKey(P, T, Q), jobId) == 0 then return end
  -- Only a capped tenant's held tasks wait for this room: read the rest only then.
  if not capped then return end
  local cfg = readTenant(P, T)
  if cfg then fillTenant(P, T, cfg, now) end
end
