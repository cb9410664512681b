-- Sets customers' bits in the generation served, from their fields as read from the graph a moment ago.
-- KEYS[1] base; ARGV[1] JSON list of {i: idx, p: exists, v: {field: [values]}, n: {field: key bits or ''}};
-- ARGV[2] now (ms). Every value field given is cleared for the customer first (its values are all
-- given), so a value it lost loses its bit. Each customer is logged in <base>:changes, so a build or
-- a tag refresh under way replays it into what it is building. Returns the generation, or 0 without one.
local base = KEYS[1]
local now = tonumber(ARGV[2])
local customers = cjson.decode(ARGV[1])
for _, c in ipairs(customers) do redis.call('ZADD', base .. ':changes', now, c.i) end
redis.call('ZREMRANGEBYSCORE', base .. ':changes', '-inf', now - 600000)
local g, gen = served(base)
if not g then return 0 end
local known = {}
local function values_of(field)
  local v = known[field]
  if not v then
    v = redis.call('SMEMBERS', g .. ':vals:' .. field)
    known[field] = v
  end
  return v
end
for _, c in ipairs(customers) do
  local idx = c.i
  redis.call('SETBIT', g .. ':all', idx, c.p and 1 or 0)
  if c.p then
    for field, values in pairs(c.v) do
      for _, old in ipairs(values_of(field)) do redis.call('SETBIT', g .. ':v:' .. field .. ':' .. old, idx, 0) end
      for _, new in ipairs(values) do
        local key = g .. ':v:' .. field .. ':' .. new
        redis.call('SETBIT', key, idx, 1)
        if redis.call('SADD', g .. ':vals:' .. field, new) == 1 then
          known[field] = nil
          redis.call('SADD', g .. ':keys', key, g .. ':vals:' .. field)
          redis.call('HSET', g .. ':fields', field, 'v')
        end
      end
    end
    for field, bits in pairs(c.n) do bsi_set(g, field, idx, bits) end
  end
end
return tonumber(gen)
