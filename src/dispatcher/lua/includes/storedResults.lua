--[[
  Stored results per tenant, kept by Turbine's moveToFinished after BullMQ's own finish.

  A finished task that BullMQ keeps (in the queue's completed or failed set) is listed in its
  tenant's index for that queue and state, scored by finish time, as BullMQ scores it. BullMQ's
  retention removes the oldest jobs of a set first, so the entries of jobs it removed are those
  older than the oldest job it still keeps: one ZREMRANGEBYSCORE drops them, in the reconciler's
  pass, before an eviction, and at every PRUNE_EVERY-th success of the tenant in an hour, the
  index that success went to (not on every finish).
  When the tenant has max_stored_results, its oldest stored results (across its queues and
  both states) are removed until it holds no more than that: one tenant cannot fill Redis
  with results that all tenants' memory pays for.
]]
--- @include "core:keys"
--- @include "bullmq:removeJob"

local STORED_STATES = {"completed", "failed"}

local function storedKey(P, T, Q, state) return P .. ":tenant:" .. T .. ":stored:" .. Q .. ":" .. state end

-- Finish time of the oldest job BullMQ still keeps in Q's `state` set; nil when it keeps none.
local function oldestKept(P, Q, state)
  return tonumber(rcall("ZRANGE", bullKey(P, Q, state), 0, 0, "WITHSCORES")[2])
end

-- Drops the index entries of jobs BullMQ's retention removed: those older than its oldest kept.
local function pruneStored(P, T, Q, state)
  local oldest = oldestKept(P, Q, state)
  local index = storedKey(P, T, Q, state)
  if oldest then return rcall("ZREMRANGEBYSCORE", index, "-inf", "(" .. oldest) end
  local n = rcall("ZCARD", index)
  rcall("DEL", index)
  return n
end

-- Removes the tenant's oldest stored results until it holds at most `limit`.
local function evictOldestResults(P, T, limit)
  local indexes, total = {}, 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    for _, state in ipairs(STORED_STATES) do
      pruneStored(P, T, q, state)
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

-- At full rate the entries of jobs BullMQ removed would otherwise wait for the reconciler's
-- pass: 5 s of them at 6 000 tasks/s are 30 000 entries, 4.4 MB. So every PRUNE_EVERY-th
-- success of a tenant in an hour (its usage count, which the finish has just incremented)
-- prunes the index it went to, for two calls per PRUNE_EVERY successes: a tenant's index of a
-- queue is pruned about every PRUNE_EVERY of its successes there. Nothing is kept for it
-- between calls: a count per index in the Redis Function's memory would grow the Lua heap with
-- the tenants (1.5 MB at 10 000), all of which Lua's collector walks again and again (see
-- MAX_REUSED_WINDOWS in slots).
local PRUNE_EVERY = 64

-- After BullMQ finished and kept jobId of T in Q as `state` at `finishedAt` (ms, BullMQ's
-- score for it, as a number or its text): index it, then apply the tenant's
-- max_stored_results (`limit`, nil when unset; its eviction prunes first), or prune at the
-- tenant's PRUNE_EVERY-th success (`succeeded`: its count in the hour, nil for a failure).
local function recordStoredResult(P, T, Q, jobId, state, finishedAt, limit, succeeded)
  rcall("ZADD", storedKey(P, T, Q, state), finishedAt, jobId)
  if limit then
    evictOldestResults(P, T, limit)
  elseif succeeded and succeeded % PRUNE_EVERY == 0 then
    pruneStored(P, T, Q, state)
  end
end

-- The tenant's stored results: its index entries not older than what BullMQ still keeps.
-- Read-only (entries of removed jobs are pruned by the reconciler's pass, at finishes and by
-- eviction).
local function storedResultCount(P, T)
  local n = 0
  for _, q in ipairs(rcall("SMEMBERS", tenantQueuesKey(P, T))) do
    for _, state in ipairs(STORED_STATES) do
      local oldest = oldestKept(P, q, state)
      if oldest then n = n + rcall("ZCOUNT", storedKey(P, T, q, state), oldest, "+inf") end
    end
  end
  return n
end
