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
local function busyKey(P, Q) return P .. ":dispatch:busy:" .. Q end
local function busyWeightKey(P) return P .. ":dispatch:busy-weight" end
local function activeTenantsKey(P) return P .. ":dispatch:active" end
local function dlqKey(P) return P .. ":dlq" end
local function dlqEntryKey(P, entryId) return P .. ":dlq:entry:" .. entryId end
local function dlqByTenantKey(P, T) return P .. ":dlq:by-tenant:" .. T end
-- BullMQ's keys for a queue (its prefix is P .. ":q").
local function bullKey(P, Q, suffix) return P .. ":q:" .. Q .. ":" .. suffix end
