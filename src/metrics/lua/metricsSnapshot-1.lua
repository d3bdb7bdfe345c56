--[[
  Reads the figures behind the Redis-derived metric gauges, a bounded slice per call, so that
  no call blocks Redis for long however many tenants there are (one call over 10 000 tenants
  took long enough to delay every worker's fetch). Only the elected reconciler replica exports
  these gauges (replicas exporting the same tenants would be counted twice by sum()), so each
  call first checks that the caller holds the reconciler lock and reads nothing otherwise.
  Read-only. src/metrics/snapshot.ts walks the slices: the active tenants in full at each
  refresh, the idle ones a bounded number at a time.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] reconciler lock key, ARGV[3] caller's worker id,
    ARGV[4] most dead-letter entries read per tenant to split its count by queue (the rest is
      reported under "__other__"),
    ARGV[5] what to read: "queues" (every queue's figures), "active" (a slice of the active
      tenants) or "all" (a slice of all tenants, the active ones left out: read by "active"),
    ARGV[6] SSCAN cursor, ARGV[7] SSCAN count (tenants modes only)
  Output: {NOT_ELECTED} the caller is not the elected replica (SnapshotStatus in
    src/metrics/snapshot.ts names the statuses) |
    "queues": {ELECTED, queues}, one {name, wait, paused, prioritized, active, delayed,
      waiting-children, completed, failed} per queue tasks were submitted to |
    tenants modes: {ELECTED, next cursor, tenants, gone}, where
      tenants: one {id, enabled (1|0), tasks_hour, tasks_day, concurrent, total, held, waiting,
               running, deferred, oldest held task's submission time (ms, 0 when none),
               {quota name, limit, ...} for the quotas that are set,
               {queue, dead letters, ...} (0 for the tenant's queues without any),
               stored results, why its held tasks wait (disabled | cap | rate | window; "" when
               none is held), {queue, held, ...} for the queues where some are held} per tenant;
      gone: ids listed whose tenant was deleted meanwhile.
  Events: none.
]]
local rcall = redis.call
--- @include "core:keys"
--- @include "dispatcher:held"
--- @include "dispatcher:storedResults"
--- @include "core:tenantConfig"
--- @include "dispatcher:rate"

local NOT_ELECTED, ELECTED = 0, 1
local P, lockKey, workerId = ARGV[1], ARGV[2], ARGV[3]
local dlqReadLimit = tonumber(ARGV[4])
if rcall("GET", lockKey) ~= workerId then return {NOT_ELECTED} end

local QUOTA_FIELDS = {"max_tasks_per_hour", "max_tasks_per_day", "max_concurrent_tasks",
  "max_queue_length", "max_task_size_bytes", "max_result_size_bytes", "max_retry_count",
  "max_stored_results", "max_tasks_per_second", "max_tasks_per_minute", "rate_burst"}
-- Held tasks are in the tenants' held lists only, in no BullMQ list: a queue's held count is
-- the sum of its tenants' (src/metrics/snapshot.ts).

local function counter(T, metric) return tonumber(rcall("GET", usageKey(P, T, metric))) or 0 end

-- Submission time of the oldest held task of T in q. A head whose job was removed behind
-- Turbine's back is skipped (the next promotion drops it); a few are looked at, not all.
local function oldestHeld(T, q)
  for _, entry in ipairs(rcall("LRANGE", heldKey(P, T, q), 0, 4)) do
    local ts = tonumber(rcall("HGET", bullKey(P, q, (parseHeld(entry))), "timestamp"))
    if ts then return ts end
  end
  return 0
end

-- Why T's held tasks wait: the first limit that leaves no room (as `turbine task show` says),
-- read only for tenants with held tasks.
local function heldReason(T, held, waiting, running)
  if held == 0 then return "" end
  local cfg = readTenant(P, T)
  if not cfg.enabled then return "disabled" end
  if cfg.maxConcurrent and waiting + running >= cfg.maxConcurrent then return "cap" end
  if throttles(cfg) and rateAvailable(P, T, cfg, rateNow()) <= waiting then return "rate" end
  return "window"
end

-- T's row (see the header), or nil when T was deleted since it was listed.
local function tenantRow(T)
  local cfg = rcall("HMGET", tenantKey(P, T), "tenant_id", "enabled", unpack(QUOTA_FIELDS))
  if not cfg[1] then return nil end
  local quotas = {}
  for i, field in ipairs(QUOTA_FIELDS) do
    if cfg[i + 2] then
      quotas[#quotas + 1] = field
      quotas[#quotas + 1] = cfg[i + 2]
    end
  end
  local held, waiting, running, oldest = 0, 0, 0, 0
  local dlqByQueue, dlqQueues, heldByQueue = {}, {}, {}
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    local sk = slotsKey(P, T, q)
    local heldHere = rcall("LLEN", heldKey(P, T, q))
    held = held + heldHere
    if heldHere > 0 then
      heldByQueue[#heldByQueue + 1] = q
      heldByQueue[#heldByQueue + 1] = heldHere
    end
    waiting = waiting + rcall("ZCOUNT", sk, "-inf", 0)
    running = running + rcall("ZCOUNT", sk, "(0", "+inf")
    local ts = oldestHeld(T, q)
    if ts > 0 and (oldest == 0 or ts < oldest) then oldest = ts end
    dlqByQueue[q] = 0
    dlqQueues[#dlqQueues + 1] = q
  end
  -- Entry ids are "<queue>:<job id>" and queue names have no ":", so the ids alone give
  -- the split by queue, without reading the entries.
  local dk = dlqByTenantKey(P, T)
  local dlqTotal = rcall("ZCARD", dk)
  local read = 0
  if dlqTotal > 0 then
    for _, entryId in ipairs(rcall("ZREVRANGE", dk, 0, dlqReadLimit - 1)) do
      local at = string.find(entryId, ":", 1, true)
      local q = at and string.sub(entryId, 1, at - 1) or "__other__"
      if dlqByQueue[q] == nil then
        dlqByQueue[q] = 0
        dlqQueues[#dlqQueues + 1] = q
      end
      dlqByQueue[q] = dlqByQueue[q] + 1
      read = read + 1
    end
  end
  if dlqTotal > read then
    if dlqByQueue["__other__"] == nil then dlqQueues[#dlqQueues + 1] = "__other__" end
    dlqByQueue["__other__"] = (dlqByQueue["__other__"] or 0) + dlqTotal - read
  end
  local dlq = {}
  for _, q in ipairs(dlqQueues) do
    dlq[#dlq + 1] = q
    dlq[#dlq + 1] = dlqByQueue[q]
  end
  return {T, cfg[2] == "false" and 0 or 1, counter(T, "tasks_hour"),
    -- usage:concurrent mirrors the running slots, which are the truth: report those.
    counter(T, "tasks_day"), running, counter(T, "total"), held, waiting,
    running, rcall("ZCARD", deferredKey(P, T)), oldest, quotas, dlq, storedResultCount(P, T),
    heldReason(T, held, waiting, running), heldByQueue}
end

-- A queue's waiting tasks are in the wait list of each pool (see keys.lua: poolBullKey).
local function waitingIn(q, pools)
  local n = rcall("LLEN", bullKey(P, q, "wait"))
  for _, pool in ipairs(pools) do n = n + rcall("LLEN", poolBullKey(P, q, pool, "wait")) end
  return n
end

local mode = ARGV[5]
if mode == "queues" then
  local queues = {}
  local pools = rcall("SMEMBERS", poolsKey(P))
  for _, q in ipairs(rcall("SMEMBERS", queuesKey(P))) do
    queues[#queues + 1] = {q,
      waitingIn(q, pools),
      rcall("LLEN", bullKey(P, q, "paused")),
      rcall("ZCARD", bullKey(P, q, "prioritized")),
      rcall("LLEN", bullKey(P, q, "active")),
      rcall("ZCARD", bullKey(P, q, "delayed")),
      rcall("ZCARD", bullKey(P, q, "waiting-children")),
      rcall("ZCARD", bullKey(P, q, "completed")),
      rcall("ZCARD", bullKey(P, q, "failed"))}
  end
  return {ELECTED, queues}
end

local active = activeTenantsKey(P)
local listed = rcall("SSCAN", mode == "active" and active or KEYS[1], ARGV[6], "COUNT", tonumber(ARGV[7]))
local tenants, gone = {}, {}
for _, T in ipairs(listed[2]) do
  -- The walk over all tenants skips the active ones: the caller has just read them.
  if mode == "active" or rcall("SISMEMBER", active, T) == 0 then
    local row = tenantRow(T)
    if row then tenants[#tenants + 1] = row else gone[#gone + 1] = T end
  end
end
return {ELECTED, listed[1], tenants, gone}
