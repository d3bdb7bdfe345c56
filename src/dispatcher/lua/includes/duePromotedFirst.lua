--[[
  In place of BullMQ's promoteDelayedJobs inside its fetch and finish as Turbine runs them
  (`@replace` in moveToActive and moveToFinished). Turbine's step before BullMQ's promotes the
  queue's due tasks through the fair path (due.lua: promoteDue), with the same timestamp, so
  BullMQ's promotion would find none due that Turbine's left for it to take: a batch's rest
  waits for the next fetch, which the caller asks for at once. Left out, BullMQ's step skips a
  range read of the delayed set per task (a command, with four numbers formatted as text).
  BullMQ still reads the delayed set for when the next task comes due, when it fetches none.
]]
local function promoteDelayedJobs() end
