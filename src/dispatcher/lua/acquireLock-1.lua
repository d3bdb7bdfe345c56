--[[
  Takes a lock with a TTL, or extends it if the caller already holds it.
  Input: KEYS[1] lock key; ARGV[1] holder id, ARGV[2] ttl (ms)
  Output: 1 held | 0 held by another
]]
local rcall = redis.call
local holder = rcall("GET", KEYS[1])
if holder == false or holder == ARGV[1] then
  rcall("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 1
end
return 0
