--[[
  One reconciler pass over a tenant, repairing what crashes and hand edits can leave behind:
    - a running lease past its expiry whose BullMQ lock is gone (the worker died) is dropped,
      so the tenant's capacity comes back; BullMQ redelivers the task, which claims again;
    - a waiting slot whose job was removed (BullMQ's remove, clean, drain, obliterate) is
      dropped on the first pass, whatever its age, so the tenant's capacity comes back at once;
    - a waiting slot whose job was fetched or finished by a consumer that is not a Turbine
      worker (its lock exists, or it finished, while the slot still says waiting: Turbine's
      fetch turns the slot into a lease in the same step) is dropped and counted as a stray fetch;
    - a deferred entry whose job was removed or has finished is dropped;
    - usage:concurrent is set to the running leases counted;
    - stored-result entries of jobs BullMQ's retention removed are dropped;
    - held tasks are promoted into whatever room there is;
    - the tenant is busy in the queues where tasks of it wait, and leaves the set
      of active tenants once nothing of it is waiting, held, deferred or running.
  At most `limit` entries are checked per kind and queue, to keep a pass short (waiting slots
  are bounded by the dispatch window anyway).
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] now (ms),
    ARGV[4] age (ms) after which waiting and deferred entries are checked, ARGV[5] limit
  Output: {promoted, leasesDropped, slotsDropped, deferredDropped, running, strayFetches}
          | {ScriptError.TenantNotFound}
]]
local rcall = redis.call
--- @include "core:tenantConfig"
--- @include "slots"
--- @include "storedResults"
--- @include "core:scriptErrors"

local P, T = ARGV[1], ARGV[2]
local now, age, limit = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local cfg = readTenant(P, T)
if not cfg then
  rcall("SREM", activeTenantsKey(P), T)
  return {ScriptError.TenantNotFound}
end

-- A job that still exists, has not finished and is not in the delayed set.
local function isLive(Q, jobId)
  local qc = queueContext(P, Q)
  local fields = rcall("HMGET", qc.prefix .. jobId, "timestamp", "finishedOn")
  return fields[1] and not fields[2]
end

local leasesDropped, slotsDropped, deferredDropped, running, strayFetches = 0, 0, 0, 0, 0
for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
  local sk = slotsKey(P, T, q)
  local qc = queueContext(P, q)
  for _, jobId in ipairs(rcall("ZRANGEBYSCORE", sk, "(0", now, "LIMIT", 0, limit)) do
    if rcall("EXISTS", qc.prefix .. jobId .. ":lock") == 0 then
      rcall("ZREM", sk, jobId)
      leasesDropped = leasesDropped + 1
    end
  end
  for _, jobId in ipairs(rcall("ZRANGEBYSCORE", sk, "-inf", 0, "LIMIT", 0, limit)) do
    local fields = rcall("HMGET", qc.prefix .. jobId, "timestamp", "finishedOn")
    if not fields[1] or rcall("ZSCORE", qc.delayed, jobId) then
      rcall("ZREM", sk, jobId)
      slotsDropped = slotsDropped + 1
    elseif fields[2] or rcall("EXISTS", qc.prefix .. jobId .. ":lock") == 1 then
      rcall("ZREM", sk, jobId)
      slotsDropped = slotsDropped + 1
      strayFetches = strayFetches + 1
    end
  end
  running = running + rcall("ZCOUNT", sk, "(0", "+inf")
  for _, state in ipairs(STORED_STATES) do pruneStored(P, T, q, state) end
end

local dk = deferredKey(P, T)
for _, ref in ipairs(rcall("ZRANGEBYSCORE", dk, "-inf", now - age, "LIMIT", 0, limit)) do
  local at = string.find(ref, ":", 1, true)
  if not isLive(string.sub(ref, 1, at - 1), string.sub(ref, at + 1)) then
    rcall("ZREM", dk, ref)
    deferredDropped = deferredDropped + 1
  end
end

rcall("SET", usageKey(P, T, "concurrent"), running)
local promoted = fillTenant(P, T, cfg, now)

-- Busy where tasks of it wait, and nowhere else; active while anything is left at all.
local left = rcall("ZCARD", dk)
for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
  local held = rcall("LLEN", heldKey(P, T, q))
  left = left + held + rcall("ZCARD", slotsKey(P, T, q))
  local lane = laneOf(q, cfg.pool)
  if waitingCount(P, T, q) > 0 then
    -- A weight changed while the tenant was busy applies from here on.
    local was = tonumber(rcall("ZSCORE", busyKey(P, lane), T))
    if was and was ~= cfg.weight then
      rcall("ZADD", busyKey(P, lane), "XX", cfg.weight, T)
      rcall("HINCRBY", busyWeightKey(P), lane, cfg.weight - was)
    end
    markBusy(P, T, lane, cfg.weight)
  else
    settleBusy(P, T, q, lane)
  end
end
if left == 0 then rcall("SREM", activeTenantsKey(P), T) end
return {promoted, leasesDropped, slotsDropped, deferredDropped, running, strayFetches}
