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

-- `x op c` over a number field, c given as its 64 key bits ('0'/'1', most significant first), among
-- the members of `within` (nil: everyone with a value). Returns a temporary key. O'Neil and Quass's
-- bit-sliced comparison: walk the bits from the top, keeping EQ (equal so far) and LT or GT.
local function bsi_compare(g, field, op, cbits, T, within, all)
  local state = bsi_states(g, field)
  local ex = g .. ':n:' .. field .. ':ex'
  local eq = T.new()
  if within then
    redis.call('BITOP', 'AND', eq, within, ex)
  else
    redis.call('BITOP', 'OR', eq, ex)
  end
  local want_lt = (op == '<' or op == '<=')
  local want_gt = (op == '>' or op == '>=')
  local side = T.new() -- LT or GT, empty until something lands in it
  local t = T.new()
  for b = 63, 0, -1 do
    local c = string.sub(cbits, 64 - b, 64 - b)
    local s = state[b] or 'u'
    if s == 's' then
      local slice = g .. ':n:' .. field .. ':' .. b
      redis.call('BITOP', 'AND', t, eq, slice) -- t: equal so far, with this bit set
      if c == '1' then
        if want_lt then
          redis.call('BITOP', 'XOR', eq, eq, t) -- eq now: this bit clear, so below c
          redis.call('BITOP', 'OR', side, side, eq)
        end
        eq, t = t, eq
      else
        if want_gt then redis.call('BITOP', 'OR', side, side, t) end
        redis.call('BITOP', 'XOR', eq, eq, t) -- keep those with the bit clear
      end
    elseif s == 'u' then
      redis.call('DEL', eq)
      break
    elseif s ~= c then
      -- every value has bit s here: all of eq is below c (s = 0) or above it (s = 1)
      if (c == '1' and want_lt) or (c == '0' and want_gt) then redis.call('BITOP', 'OR', side, side, eq) end
      redis.call('DEL', eq)
      break
    end
  end
  if op == '=' then return eq end
  if op == '!=' then
    local r = T.new()
    redis.call('BITOP', 'XOR', r, all, eq)
    return r
  end
  if op == '<=' or op == '>=' then redis.call('BITOP', 'OR', side, side, eq) end
  return side
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
