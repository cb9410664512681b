-- May the customer be contacted now, and which offers are cooling down? Reads only.
-- KEYS: cool-downs hash, contact sets; ARGV: at, caps, number of offers, offer ids.
-- -> {cap, count, free, cool-down per offer}. Runs after caps.lua.
local at = tonumber(ARGV[1])
local caps, o = readCaps(2)
local times = {}
for i, cap in ipairs(caps) do times[i] = counted(cap, at) end
local best, count, free = fullest(caps, times)
local result = { best, count, free }
local n = tonumber(ARGV[o])
if n > 0 then
  local values = redis.call('HMGET', KEYS[1], unpack(ARGV, o + 1, o + n))
  for k = 1, n do result[3 + k] = values[k] end
end
return result
