-- Replaces some fields' bitmaps of the generation served with ones written a moment ago under
-- temporary names (a tag refreshed from the graph), atomically.
-- KEYS[1] base; ARGV[1] the generation they were built for; ARGV[2] JSON list of
--   {f, kind: 'v', values: {value: temp key}, only: bool} or {f, kind: 'n', states: [64 states, bit 0 first], slices: {bit: temp key}, ex: temp key}
--   (`only`: replace just the values listed, leaving the field's others; else the field's values become those listed)
-- Returns 1, or 0 when another generation is served now (the temporaries are dropped: it is as new).
local base = KEYS[1]
local g, gen = served(base)
local fields = cjson.decode(ARGV[2])
local function drop_temps()
  for _, f in ipairs(fields) do
    if f.kind == 'v' then
      for _, tmp in pairs(f.values) do redis.call('DEL', tmp) end
    else
      for _, tmp in pairs(f.slices) do redis.call('DEL', tmp) end
      redis.call('DEL', f.ex)
    end
  end
end
if not g or gen ~= ARGV[1] then
  drop_temps()
  return 0
end
for _, f in ipairs(fields) do
  if f.kind == 'v' then
    local vals = g .. ':vals:' .. f.f
    if not f.only then
      for _, old in ipairs(redis.call('SMEMBERS', vals)) do
        if not f.values[old] then redis.call('DEL', g .. ':v:' .. f.f .. ':' .. old) end
      end
      redis.call('DEL', vals)
    end
    redis.call('SADD', g .. ':keys', vals)
    redis.call('HSET', g .. ':fields', f.f, 'v')
    for value, tmp in pairs(f.values) do
      local key = g .. ':v:' .. f.f .. ':' .. value
      redis.call('SADD', vals, value)
      redis.call('SADD', g .. ':keys', key)
      if redis.call('EXISTS', tmp) == 1 then redis.call('RENAME', tmp, key) else redis.call('DEL', key) end
    end
  else
    local stkey = g .. ':bsi:' .. f.f
    for b = 0, 63 do
      local key = g .. ':n:' .. f.f .. ':' .. b
      local tmp = f.slices[tostring(b)]
      if tmp and redis.call('EXISTS', tmp) == 1 then
        redis.call('RENAME', tmp, key)
        redis.call('SADD', g .. ':keys', key)
      else
        redis.call('DEL', key)
      end
      redis.call('HSET', stkey, b, f.states[b + 1])
    end
    local ex = g .. ':n:' .. f.f .. ':ex'
    if redis.call('EXISTS', f.ex) == 1 then redis.call('RENAME', f.ex, ex) else redis.call('DEL', ex) end
    redis.call('SADD', g .. ':keys', ex, stkey)
    redis.call('HSET', g .. ':fields', f.f, 'n')
  end
end
return 1
