--[[
  Releases a lock if the caller holds it.
  Input: KEYS[1] lock key; ARGV[1] holder id
  Output: 1 released | 0 not held by the caller
]]
local rcall = redis.call
if rcall("GET", KEYS[1]) == ARGV[1] then return rcall("DEL", KEYS[1]) end
return 0
