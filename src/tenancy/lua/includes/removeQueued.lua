--[[
  Removes a tenant's queued task (waiting, held or delayed) for good: out of its BullMQ list or
  Turbine's held list, its slot or deferred entry, and its job keys, with BullMQ's `removed`
  event. A running or finished task is left alone. Used by cancel and drain.
]]
--- @include "dispatcher:slots"
--- @include "dispatcher:admitted"
--- @include "bullmq:removeJobKeys"

-- Deletes the job's keys and announces it the way BullMQ's own remove does.
local function dropJob(qc, jobId, prev)
  removeJobKeys(qc.prefix .. jobId)
  rcall("XADD", qc.events, "MAXLEN", "~", queueState(qc).maxEvents, "*", "event", "removed", "jobId", jobId, "prev", prev)
end

-- Returns the state the task was removed from ("waiting", "held", "delayed"), or nil with the
-- reason it was not ("unknown": no such task of T; "running"; "finished").
local function removeQueued(P, T, Q, jobId)
  -- Waiting in its tenant's pool's wait list; put back without a slot, in that one or the shared one.
  local qc = queueContext(P, Q, rcall("HGET", tenantKey(P, T), "pool"))
  local shared = queueContext(P, Q)
  local jobKey = qc.prefix .. jobId
  local fields = rcall("HMGET", jobKey, "timestamp", "finishedOn", ADMITTED_FIELD, "priority")
  if not fields[1] or fields[3] ~= T then return nil, "unknown" end
  if fields[2] then return nil, "finished" end
  local sk = slotsKey(P, T, Q)
  local score = tonumber(rcall("ZSCORE", sk, jobId))
  if score and score > 0 then return nil, "running" end
  local priority = tonumber(fields[4]) or 0
  local state
  if score then
    local removed = rcall("LREM", qc.wait, 1, jobId) + rcall("ZREM", qc.prioritized, jobId)
    if removed == 0 then return nil, "running" end
    rcall("ZREM", sk, jobId)
    state = "waiting"
  elseif rcall("ZREM", qc.delayed, jobId) == 1 then
    rcall("ZREM", deferredKey(P, T), Q .. ":" .. jobId)
    state = "delayed"
  elseif rcall("LREM", heldKey(P, T, Q), 1, heldEntry(jobId, priority)) == 1 then
    state = "held"
  elseif rcall("LREM", qc.wait, 1, jobId) + rcall("LREM", shared.wait, 1, jobId) + rcall("ZREM", qc.prioritized, jobId) > 0 then
    -- Put back in the wait list without a slot (by a stopping worker).
    rcall("ZREM", deferredKey(P, T), Q .. ":" .. jobId)
    state = "waiting"
  else
    return nil, "running"
  end
  dropJob(qc, jobId, state)
  return state
end
