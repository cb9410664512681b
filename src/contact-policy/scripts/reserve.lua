-- Records contacts for as many decision ids as the caps allow, atomically.
-- KEYS: the channel's contact set first, then the other channels' sets; ARGV: at, retention (ms),
-- caps, number of ids, ids. -> {granted, cap, count, free}. Runs after caps.lua.
local at = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local caps, o = readCaps(3)
local own = KEYS[1]
redis.call('ZREMRANGEBYSCORE', own, '-inf', num(at - retention))
local times = {}
for i, cap in ipairs(caps) do times[i] = counted(cap, at) end
local n = tonumber(ARGV[o])
local granted, added = 0, 0
for d = 1, n do
  local id = ARGV[o + d]
  if not redis.call('ZSCORE', own, id) then
    if fullest(caps, times) > 0 then break end
    redis.call('ZADD', own, at, id)
    for i = 1, #caps do
      local t = times[i]
      t[#t + 1] = at
      table.sort(t)
    end
    added = added + 1
  end
  granted = granted + 1
end
if added > 0 then redis.call('PEXPIRE', own, retention) end
if granted < n then
  local best, count, free = fullest(caps, times)
  return { granted, best, count, free }
end
return { granted, 0, 0, 0 }
