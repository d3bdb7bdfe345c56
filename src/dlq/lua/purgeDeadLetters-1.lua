--[[
  Removes dead-letter entries dead-lettered before a cutoff, optionally only one tenant's or
  one queue's, at most `limit` per call (the caller repeats until a call scans nothing).
  An index member whose entry hash is gone is dropped from the indexes as well. With a tenant,
  only that tenant's entries are removed.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] cutoff (ms), ARGV[3] tenant id or "", ARGV[4] queue or "",
    ARGV[5] limit, ARGV[6] offset (entries kept by the queue filter in earlier calls)
  Output: {unindexed, scanned, deleted}: the caller adds scanned - unindexed to the offset;
          deleted counts the entries that existed
]]
local rcall = redis.call
--- @include "core:keys"

local P, cutoff, T, Q = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local limit, offset = tonumber(ARGV[5]), tonumber(ARGV[6])
local index = T ~= "" and dlqByTenantKey(P, T) or dlqKey(P)
local ids = rcall("ZRANGEBYSCORE", index, "-inf", cutoff, "LIMIT", offset, limit)
local unindexed, deleted = 0, 0
for _, entryId in ipairs(ids) do
  local key = dlqEntryKey(P, entryId)
  local fields = rcall("HMGET", key, "tenant_id", "queue")
  if T ~= "" and fields[1] and fields[1] ~= T then
    -- Another tenant's entry named in this tenant's index: never this tenant's to remove.
    rcall("ZREM", index, entryId)
    unindexed = unindexed + 1
  elseif Q == "" or fields[2] == Q or not fields[2] then
    deleted = deleted + rcall("DEL", key)
    rcall("ZREM", dlqKey(P), entryId)
    if T ~= "" then rcall("ZREM", index, entryId) end
    if fields[1] and fields[1] ~= "" and fields[1] ~= T then rcall("ZREM", dlqByTenantKey(P, fields[1]), entryId) end
    unindexed = unindexed + 1
  end
end
return {unindexed, #ids, deleted}
