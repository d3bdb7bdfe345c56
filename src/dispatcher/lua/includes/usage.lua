--[[
  Usage metering, counted by the scripts that do the work (admission, fetch, finish, release):
  one hash per tenant and hour (usageHourKey) of HINCRBY fields, so what is billed is what
  happened, with no second source of truth. Fields (absent = 0): accepted, rejected_<reason>,
  started, succeeded, failed, dead_lettered, handler_ms, payload_bytes, result_bytes.

  A hash expires `retention_ms` (usage settings, 35 days when unset) after its hour ends, and
  its tenant is listed in the hour's index (usageHourTenantsKey) for exports. Both are set when
  a step creates the hash (a count field's first value with no expiry on the hash yet): a
  field's creation reads the hash's expiry, the hash's creation sets it, which is once per
  tenant and hour. A task's step costs its HINCRBYs, and a call one read of the settings (for
  the stream).

  With the stream on (settings field `stream_max_length`), each counted event is also added to
  usageEventsKey, trimmed to about that length.
]]
--- @include "core:keys"

local DEFAULT_USAGE_RETENTION_MS = 35 * 86400000

-- The start (Unix seconds) of the hour holding `now` (ms), as the string key names use: kept
-- from the last call in the same hour (a Redis Function keeps it between calls), since
-- formatting a number is a large part of building a key.
local lastHour, lastHourText = nil, nil
local function usageHourOf(now)
  local H = math.floor(now / 3600000) * 3600
  if H ~= lastHour then lastHour, lastHourText = H, string.format("%d", H) end
  return lastHourText
end

-- The stream setting of each prefix (false: off) and the time (ms) it was read. A fetch and a
-- finish meter two steps in one call. A Redis Function (Turbine's fetch and finish) keeps
-- locals between calls: there a setting read is used for up to STREAM_SETTING_TTL_MS, so that
-- a task's steps do not each read it (turning the stream on or off takes effect within that
-- time); beginCall (slots) passes each call's time through beginUsageCall. An EVAL script
-- starts each call with nothing read. Kept per prefix: one library serves every prefix and
-- shard on the server.
local STREAM_SETTING_TTL_MS = 1000
local streamSettings, callNow = {}, 0
local function beginUsageCall(now)
  callNow = now
end

-- The stream's maximum length, or nil when the stream is off.
local function usageStreamLength(P)
  local cached = streamSettings[P]
  if cached == nil or math.abs(callNow - cached.at) > STREAM_SETTING_TTL_MS then
    cached = { value = tonumber(rcall("HGET", usageSettingsKey(P), "stream_max_length")) or false, at = callNow }
    streamSettings[P] = cached
  end
  return cached.value or nil
end

-- Adds `counts` ({field, amount, field, amount, …}) to T's hash of the hour of `now`. Zero
-- amounts are skipped. A field's creation (its new value is its amount) sets the expiry and
-- the hour's index. Returns the first field's new value (nil when its amount is 0).
local function meterUsage(P, T, now, counts)
  local H = usageHourOf(now)
  local key = usageHourKey(P, T, H)
  local created, first = false, nil
  for i = 1, #counts, 2 do
    local n = counts[i + 1]
    if n ~= 0 then
      -- Passed as text: redis.call formats a Lua number with "%.17g", which costs more than
      -- the HINCRBY itself. Most counts are 1.
      local value = rcall("HINCRBY", key, counts[i], n == 1 and "1" or string.format("%d", n))
      if value == n then created = true end
      if i == 1 then first = value end
    end
  end
  -- A new field of a hash that already has its expiry (set when its first field was created).
  if created and rcall("PTTL", key) >= 0 then created = false end
  if created then
    local retention = tonumber(rcall("HGET", usageSettingsKey(P), "retention_ms")) or DEFAULT_USAGE_RETENTION_MS
    local expireAt = (tonumber(H) + 3600) * 1000 + retention
    rcall("PEXPIREAT", key, expireAt)
    local index = usageHourTenantsKey(P, H)
    rcall("SADD", index, T)
    rcall("PEXPIREAT", index, expireAt)
  end
  return first
end

-- Adds one event to the usage stream when it is on (`maxLength` from usageStreamLength):
-- `event` (accepted, rejected, started, succeeded, failed, dead_lettered), the tenant, the
-- time (ms), then the event's fields as name, value, … (queue, job_id, and what the event
-- counts). Passed as arguments, not a table: with the stream off (the default) a task's steps
-- then build nothing for it.
local function emitUsageEvent(P, maxLength, T, now, event, ...)
  if not maxLength then return end
  rcall("XADD", usageEventsKey(P), "MAXLEN", "~", maxLength, "*", "event", event, "tenant_id", T,
    "at", now, ...)
end

-- One step of one task (started, succeeded, failed): its counts, and its event when the stream
-- is on (fields as for emitUsageEvent). Returns the first count's new value in the hour.
local function meterStep(P, T, now, counts, event, ...)
  local first = meterUsage(P, T, now, counts)
  emitUsageEvent(P, usageStreamLength(P), T, now, event, ...)
  return first
end

-- The counts of a run's start (meterStep), the same for every task.
local STARTED_COUNTS = { "started", 1 }

-- Handler time of a run that ends at `now`: since BullMQ's fetch stamped the job's processedOn.
local function handlerMs(processedOn, now)
  local started = tonumber(processedOn)
  if not started or started > now then return 0 end
  return now - started
end
