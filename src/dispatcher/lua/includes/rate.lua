--[[
  Per-tenant rate limits: max_tasks_per_second and max_tasks_per_minute, each a GCRA limiter
  (the generic cell rate algorithm: a token bucket kept as one timestamp). For each limit set,
  rate(T) holds the theoretical arrival time (TAT, ms) of T's next start: a start at `now`
  conforms when TAT - now <= (burst - 1) x interval, and moves TAT to max(TAT, now) + interval.
  So at most `burst` tasks start at once after T was idle, then one per interval, exactly,
  whatever the number of workers and queues (every start goes through a script).
  The clock is Redis's (TIME), not the caller's: workers' clocks may disagree.

  In throttle mode (the default) a start is charged when a waiting task is claimed, and
  dispatch keeps T's waiting tasks (all queues) within the starts its limits allow now, so a
  claimed task always conforms. In reject mode, admission charges each accepted task instead
  and refuses the rest (RateLimitedError), and dispatch is not limited.
]]
--- @include "core:keys"

-- Redis's time in ms, read once per call (beginRateCall resets it: a Redis Function keeps
-- these locals between calls).
local rateCall = {}
local function beginRateCall()
  rateCall = {}
end

local function rateNow()
  if rateCall.now == nil then
    local t = rcall("TIME")
    rateCall.now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return rateCall.now
end

local function hasRate(cfg)
  return cfg.perSecond ~= nil or cfg.perMinute ~= nil
end

-- T's starts are limited where tasks are dispatched and claimed (not at admission).
local function throttles(cfg)
  return hasRate(cfg) and not cfg.rejectOverRate
end

-- The limits set: {field, limit, unit, interval (ms), tolerance (ms)}. The burst defaults to
-- one second's worth of the tighter limit (at least 1).
local function rateLimiters(cfg)
  local burst = cfg.rateBurst
  if not burst then
    local perSecond = cfg.perSecond or math.huge
    if cfg.perMinute then perSecond = math.min(perSecond, cfg.perMinute / 60) end
    burst = math.max(1, math.ceil(perSecond))
  end
  local limiters = {}
  local function add(field, limit, periodMs)
    local interval = periodMs / limit
    limiters[#limiters + 1] = { field = field, limit = limit, interval = interval, tolerance = (burst - 1) * interval }
  end
  if cfg.perSecond then add("second", cfg.perSecond, 1000) end
  if cfg.perMinute then add("minute", cfg.perMinute, 60000) end
  return limiters, burst
end

-- Each limiter with its TAT (never before now: an idle limiter's TAT is now).
local function rateState(P, T, cfg, now)
  local limiters, burst = rateLimiters(cfg)
  local fields = {}
  for i, l in ipairs(limiters) do fields[i] = l.field end
  local tats = rcall("HMGET", rateKey(P, T), unpack(fields))
  for i, l in ipairs(limiters) do l.tat = math.max(tonumber(tats[i]) or 0, now) end
  return limiters, burst
end

-- Starts T's limits allow at `now`, at once (0 .. burst).
local function rateAvailable(P, T, cfg, now)
  local limiters, burst = rateState(P, T, cfg, now)
  local available = burst
  for _, l in ipairs(limiters) do
    -- The small epsilon keeps float intervals (1000 / 3) from losing a start to rounding.
    local n = math.floor((now + l.tolerance - l.tat) / l.interval + 1e-9) + 1
    available = math.max(0, math.min(available, n))
  end
  return available
end

-- When T's limits next allow a start with `queued` starts already promised (its waiting
-- tasks), and the limiter that decides it.
local function rateNextStart(P, T, cfg, now, queued)
  local at, binding = now, nil
  for _, l in ipairs((rateState(P, T, cfg, now))) do
    local t = l.tat - l.tolerance + queued * l.interval
    if binding == nil or t > at then at, binding = math.max(t, now), l end
  end
  return math.ceil(at), binding
end

-- Charges one start to T's limits at `now`.
local function rateCharge(P, T, cfg, now)
  local limiters = rateState(P, T, cfg, now)
  local flat, last = {}, now
  for _, l in ipairs(limiters) do
    local tat = l.tat + l.interval
    flat[#flat + 1] = l.field
    flat[#flat + 1] = tostring(tat)
    last = math.max(last, tat)
  end
  local key = rateKey(P, T)
  rcall("HSET", key, unpack(flat))
  -- Once every TAT has passed, the state says nothing a missing key would not.
  rcall("PEXPIRE", key, math.ceil(last - now) + 1000)
end

-- Reject mode at admission: charges a start if T's limits allow one now and returns 0, else
-- returns the ms until they do and the limit that refuses ({limit, unit}).
local function rateAdmit(P, T, cfg)
  local now = rateNow()
  if rateAvailable(P, T, cfg, now) > 0 then
    rateCharge(P, T, cfg, now)
    return 0
  end
  local at, binding = rateNextStart(P, T, cfg, now, 0)
  return math.max(1, at - now), binding
end
