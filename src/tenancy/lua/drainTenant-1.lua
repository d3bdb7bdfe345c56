--[[
  Drains a tenant: removes its waiting, held and delayed tasks (of one queue, or all), running
  tasks left to finish. Phase "start" does it in one atomic step as the tenant sees it: waiting
  and delayed tasks are removed with their jobs, slots freed at once, and each held list is set
  aside whole (renamed; nothing promotes from it); the drain is audited. Phase "purge" then
  deletes the set-aside jobs in batches, one call per batch, so that a million held tasks never
  stall Redis; a purge interrupted by a crash is finished by the next drain of the tenant.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] tenant id, ARGV[3] queue or "" (all), ARGV[4] now (ms),
    ARGV[5] actor, ARGV[6] time (ISO 8601), ARGV[7] unique token, ARGV[8] batch size,
    ARGV[9] phase: "start" | "purge"
  Output: start: {waiting, held, delayed} | {ScriptError.TenantNotFound}
          purge: {removed, set-aside lists left}
]]
local rcall = redis.call
--- @include "removeQueued"
--- @include "audit"
--- @include "core:scriptErrors"

local P, T, only = ARGV[1], ARGV[2], ARGV[3]
local now, batch = tonumber(ARGV[4]), tonumber(ARGV[8])
local asideSet = P .. ":tenant:" .. T .. ":drained"

if ARGV[9] == "purge" then
  local removed = 0
  for _, aside in ipairs(rcall("SMEMBERS", asideSet)) do
    local q = string.match(aside, ":drained:([^:]+):[^:]+$")
    local qc = queueContext(P, q)
    while removed < batch do
      local entry = rcall("LPOP", aside)
      if not entry then break end
      local jobId = parseHeld(entry)
      if rcall("EXISTS", qc.prefix .. jobId) == 1 then
        dropJob(qc, jobId, "held")
        removed = removed + 1
      end
    end
    if rcall("EXISTS", aside) == 0 then rcall("SREM", asideSet, aside) end
    if removed >= batch then break end
  end
  return {removed, rcall("SCARD", asideSet)}
end

local cfg = readTenant(P, T)
if not cfg then return {ScriptError.TenantNotFound} end
local queues = only ~= "" and { only } or rcall("SMEMBERS", tenantQueuesKey(P, T))
local wanted = {}
for _, q in ipairs(queues) do wanted[q] = true end

local waiting, held, delayed = 0, 0, 0
for _, q in ipairs(queues) do
  for _, jobId in ipairs(rcall("ZRANGEBYSCORE", slotsKey(P, T, q), "-inf", 0)) do
    if removeQueued(P, T, q, jobId) == "waiting" then waiting = waiting + 1 end
  end
  local hk = heldKey(P, T, q)
  local n = rcall("LLEN", hk)
  if n > 0 then
    local aside = P .. ":tenant:" .. T .. ":drained:" .. q .. ":" .. ARGV[7]
    rcall("RENAME", hk, aside)
    rcall("SADD", asideSet, aside)
    held = held + n
  end
end
-- Delayed submissions and retries in backoff (and tasks put back without a slot).
for _, ref in ipairs(rcall("ZRANGE", deferredKey(P, T), 0, -1)) do
  local at = string.find(ref, ":", 1, true)
  local q, jobId = string.sub(ref, 1, at - 1), string.sub(ref, at + 1)
  if wanted[q] then
    local state = removeQueued(P, T, q, jobId)
    if state == "delayed" then delayed = delayed + 1
    elseif state == "waiting" then waiting = waiting + 1 end
  end
end
fillTenant(P, T, cfg, now)
recordChange(P, T, ARGV[6], ARGV[5], "drain",
  cjson.encode({ queue = only ~= "" and only or cjson.null, waiting = waiting, held = held, delayed = delayed }))
return {waiting, held, delayed}
