--[[
  Stored results per tenant, kept by Turbine's moveToFinished after BullMQ's own finish.

  A finished task that BullMQ keeps (in the queue's completed or failed set) is listed in its
  tenant's index for that queue and state, scored by finish time. BullMQ's retention removes
  the oldest jobs of a queue's set first, and a tenant's entries follow the same order, so the
  jobs it removed are always at the head of an index: each finish drops a few such heads.
  When the tenant has max_stored_results, its oldest stored results (across its queues and
  both states) are removed until it holds no more than that: one tenant cannot fill Redis
  with results that all tenants' memory pays for.
]]
--- @include "keys"
--- @include "bullmq:removeJob"

local STORED_STATES = {"completed", "failed"}
-- Heads checked per finish for jobs BullMQ's retention removed: more than the one it adds.
local STALE_CHECKS = 3

local function storedKey(P, T, Q, state) return P .. ":tenant:" .. T .. ":stored:" .. Q .. ":" .. state end

local function dropStaleHeads(index, jobPrefix)
  for _ = 1, STALE_CHECKS do
    local head = rcall("ZRANGE", index, 0, 0)[1]
    if not head or rcall("EXISTS", jobPrefix .. head) == 1 then return end
    rcall("ZREM", index, head)
  end
end

-- Removes the tenant's oldest stored results until it holds at most `limit`.
local function evictOldestResults(P, T, limit)
  local indexes, total = {}, 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    for _, state in ipairs(STORED_STATES) do
      local index = storedKey(P, T, q, state)
      local n = rcall("ZCARD", index)
      if n > 0 then
        indexes[#indexes + 1] = { key = index, queue = q, state = state }
        total = total + n
      end
    end
  end
  while total > limit do
    local oldest, oldestId, oldestScore
    for _, ix in ipairs(indexes) do
      local head = rcall("ZRANGE", ix.key, 0, 0, "WITHSCORES")
      if head[1] and (not oldestScore or tonumber(head[2]) < oldestScore) then
        oldest, oldestId, oldestScore = ix, head[1], tonumber(head[2])
      end
    end
    if not oldest then return end
    local jobPrefix = bullKey(P, oldest.queue, "")
    rcall("ZREM", oldest.key, oldestId)
    rcall("ZREM", jobPrefix .. oldest.state, oldestId)
    removeJob(oldestId, false, jobPrefix, false)
    total = total - 1
  end
end

-- After BullMQ finished jobId of T in Q as `state`: index it if BullMQ kept it, then apply
-- the tenant's max_stored_results.
local function recordStoredResult(P, T, Q, jobId, state, now)
  local jobPrefix = bullKey(P, Q, "")
  if not rcall("ZSCORE", jobPrefix .. state, jobId) then return end
  local tenant = rcall("HMGET", tenantKey(P, T), "tenant_id", "max_stored_results")
  -- A deleted tenant's results are BullMQ's alone to expire.
  if not tenant[1] then return end
  local index = storedKey(P, T, Q, state)
  rcall("ZADD", index, now, jobId)
  dropStaleHeads(index, jobPrefix)
  local limit = tonumber(tenant[2])
  if limit then evictOldestResults(P, T, limit) end
end

-- The tenant's stored results (entries of jobs removed since their last finish included).
local function storedResultCount(P, T)
  local n = 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    for _, state in ipairs(STORED_STATES) do n = n + rcall("ZCARD", storedKey(P, T, q, state)) end
  end
  return n
end
