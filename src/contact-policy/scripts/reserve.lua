-- Records contacts for as many decision ids as the caps allow, atomically.
-- KEYS: the channel's contact set first, then the other channels' sets; ARGV: at, retention (ms),
-- caps, number of ids, ids. -> {granted, cap, count, free}. Runs after caps.lua.
local at = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local caps, o = readCaps(3)
local times = {}
for i, cap in ipairs(caps) do times[i] = counted(cap, at) end
local n = tonumber(ARGV[o])
local granted = record(KEYS[1], caps, times, at, retention, o, n)
if granted < n then
  local best, count, free = fullest(caps, times)
  return { granted, best, count, free }
end
return { granted, 0, 0, 0 }
