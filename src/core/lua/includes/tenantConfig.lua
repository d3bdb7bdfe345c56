--[[
  Reads the fields of a tenant's configuration that scripts act on, in one HMGET.
  Returns nil when the tenant does not exist. Unset quotas are nil (unlimited).
]]
--- @include "core:keys"

local function readTenant(P, T)
  local v = rcall("HMGET", tenantKey(P, T), "tenant_id", "enabled", "max_tasks_per_hour",
    "max_tasks_per_day", "max_concurrent_tasks", "max_queue_length", "max_task_size_bytes",
    "max_result_size_bytes", "allowed_queues", "max_retry_count", "weight", "pool", "max_tasks_per_second",
    "max_tasks_per_minute", "rate_burst", "rate_limit_mode")
  if not v[1] then return nil end
  local allowed = nil
  if v[9] then
    allowed = {}
    for _, q in ipairs(cjson.decode(v[9])) do allowed[q] = true end
  end
  return {
    enabled = v[2] ~= "false",
    maxHour = tonumber(v[3]),
    maxDay = tonumber(v[4]),
    maxConcurrent = tonumber(v[5]),
    maxQueueLength = tonumber(v[6]),
    maxTaskSize = tonumber(v[7]),
    maxResultSize = tonumber(v[8]),
    allowedQueues = allowed,
    allowedQueuesJson = v[9],
    maxRetry = tonumber(v[10]),
    -- Share of a queue's window among its busy tenants (1 when unset).
    weight = tonumber(v[11]) or 1,
    -- The worker pool that runs its tasks.
    pool = v[12] or SHARED_POOL,
    -- Rate limits (dispatcher's includes/rate.lua): starts per second and per minute.
    perSecond = tonumber(v[13]),
    perMinute = tonumber(v[14]),
    rateBurst = tonumber(v[15]),
    rejectOverRate = v[16] == "reject",
  }
end
