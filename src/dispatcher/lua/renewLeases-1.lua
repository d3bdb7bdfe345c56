--[[
  Extends the leases of running tasks, alongside BullMQ's lock renewal. A lease the reconciler
  already dropped is not brought back (XX): that task re-claims a slot if it is redelivered.
  Input:
    KEYS[1] tenants set
    ARGV[1] prefix, ARGV[2] lease expiry (ms), then triples tenant id, queue, job id
  Output: number of leases extended
]]
local rcall = redis.call
--- @include "core:keys"

local P, expiry = ARGV[1], ARGV[2]
local renewed = 0
for i = 3, #ARGV, 3 do
  renewed = renewed + rcall("ZADD", slotsKey(P, ARGV[i], ARGV[i + 1]), "XX", "CH", expiry, ARGV[i + 2])
end
return renewed
