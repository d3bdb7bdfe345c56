--[[
  Delayed tasks and retries in backoff re-enter through the fair path when they come due.
  BullMQ's fetch moves every due job of its delayed set to the wait list, past the tenants'
  windows. Turbine's fetch and finish call promoteDue first, so BullMQ's own step finds nothing
  due: each due task is dispatched into its tenant's window, or held back behind the tenant's
  other work, as a new task is (dispatchOrHold). A job that is not a Turbine task is queued as
  BullMQ would queue it. A held task parked here to wake the queue for a throttled tenant
  (scheduleRateWake) goes back to the head of its held list, and the queue is filled as the
  tenant's rate now allows.
]]
--- @include "claim"

-- At most this many due jobs per call, as BullMQ's own promotion.
local DUE_BATCH = 1000

local function promoteDue(P, Q, now)
  local qc = queueState(queueContext(P, Q))
  -- Scores are timestamp * 0x1000 + a counter (BullMQ's getDelayedScore).
  local due = rcall("ZRANGEBYSCORE", qc.delayed, 0, (now + 1) * 0x1000 - 1, "LIMIT", 0, DUE_BATCH)
  if #due == 0 then return end
  rcall("ZREM", qc.delayed, unpack(due))
  local configs = {}
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
        dispatchOrHold(P, T, Q, cfg, jobId, tonumber(fields[2]) or 0, now)
      else
        -- No tenant (or a deleted one): BullMQ's way; the worker dead-letters it when fetched.
        rcall("LPUSH", qc.wait, jobId)
        addBaseMarkerIfNeeded(qc.marker, qc.pausedOrMaxed)
      end
    end
  end
end
