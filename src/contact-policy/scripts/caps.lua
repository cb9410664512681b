-- The frequency-cap functions shared by screen.lua, reserve.lua and screen-reserve.lua
-- (src/platform/scripts.ts puts this file before each), so all count and record a cap the same way.
local function num(x) return string.format('%.0f', x) end

-- ARGV from o: number of caps, then per cap: limit, window (ms), number of keys, KEYS indexes
local function readCaps(o)
  local caps = {}
  local n = tonumber(ARGV[o]); o = o + 1
  for i = 1, n do
    local cap = { limit = tonumber(ARGV[o]), window = tonumber(ARGV[o + 1]), keys = {} }
    local nk = tonumber(ARGV[o + 2]); o = o + 3
    for j = 1, nk do cap.keys[j] = KEYS[tonumber(ARGV[o])]; o = o + 1 end
    caps[i] = cap
  end
  return caps, o
end

-- times of the contacts a cap counts at 'at', oldest first; the window excludes its start
local function counted(cap, at)
  local times = {}
  for _, key in ipairs(cap.keys) do
    local e = redis.call('ZRANGEBYSCORE', key, '(' .. num(at - cap.window), '+inf', 'WITHSCORES')
    for k = 2, #e, 2 do times[#times + 1] = tonumber(e[k]) end
  end
  table.sort(times)
  return times
end

-- of the full caps, the one that frees up last: its index (0 = none full), count and free time (0 = never)
local function fullest(caps, times)
  local best, count, free = 0, 0, -1
  for i, cap in ipairs(caps) do
    local n = #times[i]
    if n >= cap.limit then
      local f = math.huge
      if cap.limit > 0 then f = times[i][n - cap.limit + 1] + cap.window end
      if f > free then best, count, free = i, n, f end
    end
  end
  if free == math.huge or free < 0 then free = 0 end
  return best, count, free
end

-- Records contacts on 'own' for the decision ids ARGV[o + 1 .. o + n], as many as the caps allow
-- ('times', as counted() read them, gains each one recorded); an id already recorded counts as
-- granted without a second contact. Contacts older than 'retention' are trimmed first: that drops
-- only contacts outside every cap's window, so 'times' is unchanged by it. -> granted
local function record(own, caps, times, at, retention, o, n)
  redis.call('ZREMRANGEBYSCORE', own, '-inf', num(at - retention))
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
  return granted
end
