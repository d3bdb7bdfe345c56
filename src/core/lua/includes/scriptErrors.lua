--[[
  The negative codes a script replies with when it refuses, with the values that follow them
  in the reply: the same names and values as ScriptErrorCode in src/core/script-errors.ts
  (test/unit/script-replies.test.ts holds them in step).
]]
local ScriptError = {
  TenantNotFound = -1,
  TenantDisabled = -2,
  QueueNotAllowed = -3,
  TaskTooLarge = -4,
  QuotaHour = -5,
  QuotaDay = -6,
  QueueFull = -7,
  TenantExists = -8,
  TenantHasQueuedTasks = -9,
  RateLimited = -10,
}
