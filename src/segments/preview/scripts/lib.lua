-- Shared by the segment scripts (concatenated before each; see ../store.ts). Keys are built under
-- the base KEYS[1] = <prefix>segments:{idx}, so every key shares the {idx} slot.
--   <base>:current            the generation served
--   <g> = <base>:g<gen>       one generation: all, v:<field>:<value>, vals:<field>, n:<field>:<bit>,
--                             n:<field>:ex, bsi:<field>, fields, info, keys

-- The prefix of the generation served, or nil when none is built yet.
local function served(base)
  local gen = redis.call('GET', base .. ':current')
  if not gen then return nil, nil end
  return base .. ':g' .. gen, gen
end

-- Temporary keys of one script run: made on demand, all deleted by drop().
local function temporaries(base, id)
  local t = { made = {}, n = 0 }
  function t.new()
    t.n = t.n + 1
    local k = base .. ':t:' .. id .. ':' .. t.n
    t.made[#t.made + 1] = k
    return k
  end
  function t.drop()
    for i = 1, #t.made, 500 do
      redis.call('DEL', unpack(t.made, i, math.min(i + 499, #t.made)))
    end
    t.made = {}
  end
  return t
end

-- A number field's bit states: bit (0..63) -> '0'/'1' (every value has it), 's' (sliced), 'u' (no value yet).
local function bsi_states(g, field)
  local flat = redis.call('HGETALL', g .. ':bsi:' .. field)
  local state = {}
  for i = 1, #flat, 2 do state[tonumber(flat[i])] = flat[i + 1] end
  return state
end

-- The members of `base` (a key: who has a value, or fewer) whose key is below the key `cbits` (64
-- characters '0'/'1', most significant first). O'Neil and Quass's bit-sliced comparison from the
-- top bit, keeping EQ (equal so far) and LT; it stops at the key's lowest set bit, below which
-- nothing more can fall under it, so a whole number or a round bound reads a few slices only.
-- Returns a temporary key.
local function bsi_below(g, field, cbits, T, base)
  local state = bsi_states(g, field)
  local lt = T.new()
  local lowest = nil
  for b = 0, 63 do
    if string.sub(cbits, 64 - b, 64 - b) == '1' then
      lowest = b
      break
    end
  end
  if lowest == nil then return lt end -- nothing is below the smallest key
  local eq = T.new()
  redis.call('BITOP', 'OR', eq, base)
  local t = T.new()
  for b = 63, lowest, -1 do
    local c = string.sub(cbits, 64 - b, 64 - b)
    local s = state[b] or 'u'
    if s == 's' then
      local slice = g .. ':n:' .. field .. ':' .. b
      redis.call('BITOP', 'AND', t, eq, slice) -- t: equal so far, with this bit set
      if c == '1' then
        redis.call('BITOP', 'XOR', eq, eq, t) -- eq now: equal so far, bit clear: below
        redis.call('BITOP', 'OR', lt, lt, eq)
        eq, t = t, eq
      else
        redis.call('BITOP', 'XOR', eq, eq, t) -- those with the bit set are above: drop them
      end
    elseif s == 'u' then
      break
    elseif s ~= c then
      -- every value has bit s here: all of eq is below (s = 0 < c = 1) or above
      if c == '1' then redis.call('BITOP', 'OR', lt, lt, eq) end
      break
    end
  end
  return lt
end

-- For sorted, distinct keys `bounds`: how many members of `base` lie below each. One walk down the
-- slices shared by all the bounds, splitting where their bits part (a trie of their bits), so the
-- bits a set of bounds has in common (sign, exponent, a round number's leading digits) are read
-- once for all, and each bound stops at its lowest set bit. Temporaries are freed as the walk
-- returns: a handful per level are alive at once.
local function bsi_below_many(g, field, bounds, T, base)
  local state = bsi_states(g, field)
  local counts = {}
  local lowest = {}
  for j, bits in ipairs(bounds) do
    lowest[j] = -1
    for b = 0, 63 do
      if string.sub(bits, 64 - b, 64 - b) == '1' then
        lowest[j] = b
        break
      end
    end
  end
  local function bit(j, b) return string.sub(bounds[j], 64 - b, 64 - b) end
  -- eq: members equal to the group's bounds on bits 63..level+1; lt: those below them
  local function walk(level, group, eq, lt)
    local rest = {}
    for _, j in ipairs(group) do
      if lowest[j] > level then counts[j] = redis.call('BITCOUNT', lt) else rest[#rest + 1] = j end
    end
    if #rest == 0 then return end
    local s = state[level] or 'u'
    if s == 's' then
      local slice = g .. ':n:' .. field .. ':' .. level
      local zeros, ones = {}, {}
      for _, j in ipairs(rest) do
        if bit(j, level) == '1' then ones[#ones + 1] = j else zeros[#zeros + 1] = j end
      end
      local t = T.new()
      redis.call('BITOP', 'AND', t, eq, slice) -- equal so far with this bit set
      local eq0 = T.new()
      redis.call('BITOP', 'XOR', eq0, eq, t) -- equal so far with it clear
      if #zeros > 0 then walk(level - 1, zeros, eq0, lt) end
      if #ones > 0 then
        local lt1 = T.new()
        redis.call('BITOP', 'OR', lt1, lt, eq0)
        walk(level - 1, ones, t, lt1)
        redis.call('DEL', lt1)
      end
      redis.call('DEL', t, eq0)
    elseif s == 'u' then
      for _, j in ipairs(rest) do counts[j] = redis.call('BITCOUNT', lt) end
    else
      -- every value has bit s here: a bound with the other bit has all of eq below it (s = 0) or above
      local same = {}
      local under = nil
      for _, j in ipairs(rest) do
        local c = bit(j, level)
        if c == s then
          same[#same + 1] = j
        elseif c == '1' then
          if not under then
            local u = T.new()
            redis.call('BITOP', 'OR', u, lt, eq)
            under = redis.call('BITCOUNT', u)
            redis.call('DEL', u)
          end
          counts[j] = under
        else
          counts[j] = redis.call('BITCOUNT', lt)
        end
      end
      if #same > 0 then walk(level - 1, same, eq, lt) end
    end
  end
  local eq = T.new()
  redis.call('BITOP', 'OR', eq, base)
  local lt = T.new()
  local everyone = {}
  for j = 1, #bounds do everyone[j] = j end
  walk(63, everyone, eq, lt)
  return counts
end

-- The members of `base` whose key equals `cbits`: every slice read (one or two BITOPs each).
local function bsi_equal(g, field, cbits, T, base)
  local state = bsi_states(g, field)
  local eq = T.new()
  redis.call('BITOP', 'OR', eq, base)
  local t = T.new()
  for b = 63, 0, -1 do
    local c = string.sub(cbits, 64 - b, 64 - b)
    local s = state[b] or 'u'
    if s == 's' then
      local slice = g .. ':n:' .. field .. ':' .. b
      if c == '1' then
        redis.call('BITOP', 'AND', eq, eq, slice)
      else
        redis.call('BITOP', 'AND', t, eq, slice)
        redis.call('BITOP', 'XOR', eq, eq, t)
      end
    elseif s ~= c then
      redis.call('DEL', eq)
      break
    end
  end
  return eq
end

-- A comparison of a number field with a key: 'lt' (below), 'ge' (not below), 'eq', 'ne' (everyone
-- else, those without a value included). `<=` and `>` come as 'lt' and 'ge' of the next key.
local function bsi_compare(g, field, op, cbits, T, all)
  local ex = g .. ':n:' .. field .. ':ex'
  if op == 'lt' then return bsi_below(g, field, cbits, T, ex) end
  local r = T.new()
  if op == 'ge' then
    redis.call('BITOP', 'XOR', r, ex, bsi_below(g, field, cbits, T, ex))
  elseif op == 'eq' then
    return bsi_equal(g, field, cbits, T, ex)
  else
    redis.call('BITOP', 'XOR', r, all, bsi_equal(g, field, cbits, T, ex))
  end
  return r
end

-- The key bits of the smallest (or largest) value among the members of `within`, or nil.
local function bsi_extreme(g, field, within, largest, T)
  local state = bsi_states(g, field)
  local cand = T.new()
  redis.call('BITOP', 'AND', cand, within, g .. ':n:' .. field .. ':ex')
  if redis.call('BITCOUNT', cand) == 0 then return nil end
  local t = T.new()
  local bits = {}
  for b = 63, 0, -1 do
    local s = state[b] or '0'
    if s == 's' then
      redis.call('BITOP', 'AND', t, cand, g .. ':n:' .. field .. ':' .. b)
      if not largest then redis.call('BITOP', 'XOR', t, cand, t) end
      if redis.call('BITCOUNT', t) > 0 then
        cand, t = t, cand
        bits[#bits + 1] = largest and '1' or '0'
      else
        bits[#bits + 1] = largest and '0' or '1'
      end
    else
      bits[#bits + 1] = s
    end
  end
  return table.concat(bits)
end

-- Sets customer idx's value of a number field (bits '' clears it), materialising a slice the first
-- time a value differs from a bit all others shared.
local function bsi_set(g, field, idx, bits)
  local ex = g .. ':n:' .. field .. ':ex'
  if redis.call('HSETNX', g .. ':fields', field, 'n') == 1 then redis.call('SADD', g .. ':keys', ex, g .. ':bsi:' .. field) end
  if bits == '' then
    redis.call('SETBIT', ex, idx, 0)
    return
  end
  local stkey = g .. ':bsi:' .. field
  local state = bsi_states(g, field)
  redis.call('SETBIT', ex, idx, 1)
  for b = 0, 63 do
    local c = string.sub(bits, 64 - b, 64 - b)
    local s = state[b] or 'u'
    local slice = g .. ':n:' .. field .. ':' .. b
    if s == 's' then
      redis.call('SETBIT', slice, idx, tonumber(c))
    elseif s == 'u' then
      redis.call('HSET', stkey, b, c)
    elseif s ~= c then
      if s == '1' then
        redis.call('BITOP', 'OR', slice, ex) -- every other value has the bit: a copy of who has one
      else
        redis.call('DEL', slice)
      end
      redis.call('SETBIT', slice, idx, tonumber(c))
      redis.call('HSET', stkey, b, 's')
      redis.call('SADD', g .. ':keys', slice)
    end
  end
end
