--[[
  Key names, the same as src/core/keys.ts (test/integration/keys.test.ts holds them in
  step). P is the prefix (default "turbine"), T a tenant id, Q a queue name.
]]
local function tenantKey(P, T) return P .. ":tenant:" .. T end
local function usageKey(P, T, metric) return P .. ":tenant:" .. T .. ":usage:" .. metric end
local function slotsKey(P, T, Q) return P .. ":tenant:" .. T .. ":slots:" .. Q end
local function heldKey(P, T, Q) return P .. ":tenant:" .. T .. ":held:" .. Q end
local function tenantQueuesKey(P, T) return P .. ":tenant:" .. T .. ":queues" end
local function deferredKey(P, T) return P .. ":tenant:" .. T .. ":deferred" end
local function rateKey(P, T) return P .. ":tenant:" .. T .. ":rate" end
local function rateWakeKey(P, T) return P .. ":tenant:" .. T .. ":rate-wake" end
local function auditKey(P, T) return P .. ":tenant:" .. T .. ":audit" end
local function tenantsKey(P) return P .. ":tenants" end
local function queuesKey(P) return P .. ":queues" end
local function changesChannel(P) return P .. ":tenant-changes" end
local function windowKey(P) return P .. ":dispatch:window" end
-- L is a lane: a queue as one worker pool sees it (laneOf below).
local function busyKey(P, L) return P .. ":dispatch:busy:" .. L end
local function busyWeightKey(P) return P .. ":dispatch:busy-weight" end
local function activeTenantsKey(P) return P .. ":dispatch:active" end
local function poolsKey(P) return P .. ":pools" end
local function dlqKey(P) return P .. ":dlq" end
local function dlqEntryKey(P, entryId) return P .. ":dlq:entry:" .. entryId end
local function dlqByTenantKey(P, T) return P .. ":dlq:by-tenant:" .. T end
-- Usage metering: T's counts in the hour starting at H (Unix seconds), the tenants with counts
-- in that hour, the settings the scripts read, and the opt-in stream of usage events.
local function usageHourKey(P, T, H) return P .. ":tenant:" .. T .. ":usage-hour:" .. H end
local function usageHourTenantsKey(P, H) return P .. ":usage-hour:" .. H end
local function usageSettingsKey(P) return P .. ":usage:settings" end
local function usageEventsKey(P) return P .. ":usage:events" end
-- BullMQ's keys for a queue (its prefix is P .. ":q").
local function bullKey(P, Q, suffix) return P .. ":q:" .. Q .. ":" .. suffix end
-- Worker pools. A tenant of pool "shared" (the default) is run by workers started without a
-- pool; a dedicated pool's tenants only by that pool's workers. Each pool has its own wait list
-- and marker in every queue (BullMQ's keys for the shared pool), so a worker never fetches
-- another pool's task. Its lane "Q@pool" ("@" is not allowed in queue names) names the pool's
-- part of Q wherever fairness keeps a per-queue figure (busy tenants, window, capacity).
local SHARED_POOL = "shared"
-- `pool` may be nil or false (HGET of a tenant without the field): the shared pool.
local function laneOf(Q, pool)
  if not pool or pool == SHARED_POOL then return Q end
  return Q .. "@" .. pool
end
local function poolBullKey(P, Q, pool, suffix)
  if not pool or pool == SHARED_POOL then return bullKey(P, Q, suffix) end
  return bullKey(P, Q, suffix .. ":" .. pool)
end
