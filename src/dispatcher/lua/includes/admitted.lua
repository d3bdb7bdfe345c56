--[[
  The admission mark: a field of the job's hash that only admission writes (BullMQ's add
  cannot set hash fields of its own choosing, while it stores any options it is given). The
  claim reads it to tell a task that went through admission from a job added around it.
]]
local ADMITTED_FIELD = "tadm"

-- Stores an admitted task as BullMQ's storeJob stores a job (the same fields and 'added'
-- event), with the admission mark in the same write. The options arrive as the JSON to store
-- (the producer put the tenant in them, `tid`), and their delay and priority beside it, so
-- that nothing is decoded and encoded again per task.
local function storeAdmittedJob(eventsKey, jobKey, jobId, name, data, optsJson, now, delay, priority, T)
  rcall("HMSET", jobKey, "name", name, "data", data, "opts", optsJson, "timestamp", now,
    "delay", delay, "priority", priority, ADMITTED_FIELD, T)
  rcall("XADD", eventsKey, "*", "event", "added", "jobId", jobId, "name", name)
end

-- Tells the worker that a fetched job never went through admission: `tna` in the options it
-- receives (the reply only, not the stored job), so that it dead-letters the job as
-- `not_admitted` instead of running it under whatever tenant its data names.
local function flagNotAdmitted(flat)
  for i = 1, #flat, 2 do
    if flat[i] == "opts" then
      local ok, opts = pcall(cjson.decode, flat[i + 1])
      if not ok or type(opts) ~= "table" then opts = {} end
      opts["tna"] = true
      flat[i + 1] = cjson.encode(opts)
      return
    end
  end
  flat[#flat + 1] = "opts"
  flat[#flat + 1] = '{"tna":true}'
end
