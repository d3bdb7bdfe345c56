--[[
  The entries of a tenant's held list: the job id, or "<jobId>:<priority>" for a prioritized
  job (BullMQ job ids cannot contain ":"), so promotion needs no read of the job.
]]
local function heldEntry(jobId, priority)
  if priority and priority > 0 then return jobId .. ":" .. priority end
  return jobId
end

-- The job id and priority (0 when none) of a held entry.
local function parseHeld(entry)
  local id, priority = string.match(entry, "^(.*):(%d+)$")
  if id then return id, tonumber(priority) end
  return entry, 0
end
