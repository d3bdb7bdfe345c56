--[[
  Records a task in the dead-letter queue. The entry copies what is needed to inspect and
  replay the task (tenant, queue, name, data, attempts, error, stack, reason, times), so that it
  outlives the BullMQ job and its retention settings.
]]
--- @include "core:keys"

local function deadLetterJob(P, T, Q, jobId, attempts, reason, err, stack, now)
  local job = rcall("HMGET", P .. ":q:" .. Q .. ":" .. jobId, "name", "data", "timestamp", "opts")
  local entryId = Q .. ":" .. jobId
  rcall("HSET", dlqEntryKey(P, entryId), "entry_id", entryId, "tenant_id", T, "queue", Q,
    "job_id", jobId, "task", job[1] or "", "data", job[2] or "", "submitted_at", job[3] or "",
    "opts", job[4] or "",
    "attempts", attempts, "reason", reason, "error", err, "stack", stack, "dead_at", now)
  rcall("ZADD", dlqKey(P), now, entryId)
  if T ~= "" then rcall("ZADD", dlqByTenantKey(P, T), now, entryId) end
end
