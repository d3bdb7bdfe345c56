--[[
  The entries of a tenant's held list: the job id, or "<jobId>:<priority>" for a prioritized
  job (BullMQ job ids cannot contain ":"), so promotion needs no read of the job.
]]
local function heldEntry(jobId, priority)
  if priority and priority > 0 then return jobId .. ":" .. priority end
  return jobId
end

-- The job id and priority (0 when none) of a held entry.
local function parseHeld(entry)
  local id, priority = string.match(entry, "^(.*):(%d+)$")
  if id then return id, tonumber(priority) end
  return entry, 0
end

--[[
  The hold record, fields of the job's hash read by the worker for its `turbine.held` span:
  `thld` "<held at ms>:<reason>" written when the task is held back, `trel` "<released at ms>"
  when it is promoted to the queue. The worker takes (reads and deletes) both when it runs the
  task, so a later attempt that was not held shows no hold. Reasons as `turbine task show`:
  disabled, cap, window, behind_older_tasks.
  Only a task that carries a trace context (its producer traced the submission: BullMQ's
  `telemetry` option) gets the record: the span is a child of that context, and the writes
  would be wasted on the others. `trel` is written by the claim that starts a task with `thld`
  (it reads the job's fields anyway), from the task's waiting slot, which holds when it was put
  in the wait list: promotion writes nothing per task.
]]
local HELD_FIELD, RELEASED_FIELD = "thld", "trel"

-- Whether a job's options (JSON) carry a trace context. A plain find: no decoding.
local function isTraced(optsJson)
  return optsJson ~= nil and string.find(optsJson, '"telemetry"', 1, true) ~= nil
end

-- `fresh`: the task was never held before (a new task), so it has no release time to clear.
local function recordHold(jobKey, now, reason, fresh)
  rcall("HSET", jobKey, HELD_FIELD, now .. ":" .. reason)
  if not fresh then rcall("HDEL", jobKey, RELEASED_FIELD) end
end

-- Why a task is held rather than queued: `room` is the tenant's room in the queue (window, cap
-- and rate), `held` its tasks held there before this one, `inUse` its running slots (nil: no
-- cap), `windowFull` whether its window alone leaves no room (else the rate is what does).
local function holdReason(cfg, inUse, room, held, windowFull)
  if not cfg.enabled then return "disabled" end
  if room > 0 and held > 0 then return "behind_older_tasks" end
  if cfg.maxConcurrent and inUse and inUse >= cfg.maxConcurrent then return "cap" end
  if not windowFull then return "rate" end
  return "window"
end
