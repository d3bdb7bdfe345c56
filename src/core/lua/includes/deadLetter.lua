--[[
  Records a task in the dead-letter queue. The entry copies what is needed to inspect and
  replay the task (tenant, queue, name, data, attempts, error, stack, reason, times), so that it
  outlives the BullMQ job and its retention settings.
  Entry ids are `<Q>:<jobId>`, with `:2`, `:3`, … added when the job already has an entry (it
  was retried by hand and failed again): an entry is never overwritten, so a tenant's index can
  only ever name that tenant's entries. The job remembers its entry (`tdlq`), so that a manual
  retry that is fetched again invalidates it (see forgetDeadLetter).
]]
--- @include "core:keys"

-- The job hash field naming its dead-letter entry.
local DEAD_LETTER_FIELD = "tdlq"

local function deadLetterJob(P, T, Q, jobId, attempts, reason, err, stack, now)
  local job = rcall("HMGET", bullKey(P, Q, jobId), "name", "data", "timestamp", "opts")
  local entryId = Q .. ":" .. jobId
  local n = 1
  while rcall("EXISTS", dlqEntryKey(P, entryId)) == 1 do
    n = n + 1
    entryId = Q .. ":" .. jobId .. ":" .. n
  end
  rcall("HSET", dlqEntryKey(P, entryId), "entry_id", entryId, "tenant_id", T, "queue", Q,
    "job_id", jobId, "task", job[1] or "", "data", job[2] or "", "submitted_at", job[3] or "",
    "opts", job[4] or "",
    "attempts", attempts, "reason", reason, "error", err, "stack", stack, "dead_at", now)
  rcall("ZADD", dlqKey(P), now, entryId)
  if T ~= "" then rcall("ZADD", dlqByTenantKey(P, T), now, entryId) end
  if job[1] then rcall("HSET", bullKey(P, Q, jobId), DEAD_LETTER_FIELD, entryId) end
end

-- A dead-lettered job that runs again (retried by hand with BullMQ's Job.retry, or from a UI):
-- its entry is removed, so that a later replay cannot run the task a second time.
local function forgetDeadLetter(P, jobKey, entryId)
  local T = rcall("HGET", dlqEntryKey(P, entryId), "tenant_id")
  rcall("DEL", dlqEntryKey(P, entryId))
  rcall("ZREM", dlqKey(P), entryId)
  if T and T ~= "" then rcall("ZREM", dlqByTenantKey(P, T), entryId) end
  rcall("HDEL", jobKey, DEAD_LETTER_FIELD)
end
