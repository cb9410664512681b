-- screen.lua and reserve.lua in one round trip, for a decision that already knows its picks.
-- KEYS: cool-downs hash, the channel's contact set, the other channels' contact sets;
-- ARGV: at, retention (ms), caps, number of offers, offer ids, number of picked offers, their ids,
-- number of decision ids to record, the ids.
-- -> {cap, count, free, granted, limiting cap, count, free, cool-down per offer}
-- granted is -1 when nothing was recorded: a cap is full (cap > 0), or a picked offer is cooling
-- down (the caller arbitrates again without it, and reserves on its own). Runs after caps.lua.
local at = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local caps, o = readCaps(3)
local times = {}
for i, cap in ipairs(caps) do times[i] = counted(cap, at) end
local best, count, free = fullest(caps, times)
local result = { best, count, free, -1, 0, 0, 0 }
local n = tonumber(ARGV[o])
local cool = {}
if n > 0 then
  local values = redis.call('HMGET', KEYS[1], unpack(ARGV, o + 1, o + n))
  for k = 1, n do
    result[7 + k] = values[k]
    if values[k] then
      local untilMs = tonumber(string.match(values[k], '^(%d+)'))
      if untilMs and untilMs > at then cool[ARGV[o + k]] = true end
    end
  end
end
if best > 0 then return result end
o = o + n + 1
local np = tonumber(ARGV[o])
for k = 1, np do
  if cool[ARGV[o + k]] then return result end
end
o = o + np + 1
local nd = tonumber(ARGV[o])
local granted = 0
if #caps > 0 and nd > 0 then
  granted = record(KEYS[2], caps, times, at, retention, o, nd)
  if granted < nd then
    local b, c, f = fullest(caps, times)
    result[5], result[6], result[7] = b, c, f
  end
else
  granted = nd
end
result[4] = granted
return result
