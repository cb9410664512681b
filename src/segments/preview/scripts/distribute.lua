-- How a preview's members spread over one field.
-- KEYS[1] base, KEYS[2] the preview's members; ARGV[1] the spec (JSON), ARGV[2] an id for temporaries
-- Specs: {t:'values', f, values:[…] or null (every value the field has)} -> {value, count, …}
--        {t:'bsi', f, bounds:[key bits…], last: key bits after the last bound} -> {present, below bound 1, …, below bound k, at or below bound k}
--        {t:'extremes', f} -> {smallest key bits or '', largest key bits or ''}
local base = KEYS[1]
local g = served(base)
if not g then return redis.error_reply('NOINDEX the segment index is not built yet') end
local spec = cjson.decode(ARGV[1])
local T = temporaries(base, ARGV[2])
local out = {}
if spec.t == 'values' then
  local values = spec.values
  if type(values) ~= 'table' then values = redis.call('SMEMBERS', g .. ':vals:' .. spec.f) end
  local t = T.new()
  for _, v in ipairs(values) do
    redis.call('BITOP', 'AND', t, KEYS[2], g .. ':v:' .. spec.f .. ':' .. v)
    out[#out + 1] = v
    out[#out + 1] = redis.call('BITCOUNT', t)
  end
elseif spec.t == 'bsi' then
  local present = T.new()
  redis.call('BITOP', 'AND', present, KEYS[2], g .. ':n:' .. spec.f .. ':ex')
  out[1] = redis.call('BITCOUNT', present)
  local keys = {}
  for i, bits in ipairs(spec.bounds) do keys[i] = bits end
  keys[#keys + 1] = spec.last
  for _, n in ipairs(bsi_below_many(g, spec.f, keys, T, present)) do out[#out + 1] = n end
elseif spec.t == 'extremes' then
  out[1] = bsi_extreme(g, spec.f, KEYS[2], false, T) or ''
  out[2] = bsi_extreme(g, spec.f, KEYS[2], true, T) or ''
else
  T.drop()
  return redis.error_reply('unknown distribution ' .. tostring(spec.t))
end
T.drop()
return out
