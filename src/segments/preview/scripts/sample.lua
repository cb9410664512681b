-- The members at the given ranks (0-based, ascending, distinct) of a bitmap: their idx.
-- KEYS[1] the bitmap; ARGV the ranks. One pass of BITCOUNT over 4 KB chunks, then a walk of the
-- bytes of the chunks that hold a rank.
local key = KEYS[1]
local len = redis.call('STRLEN', key)
local CHUNK = 4096
local ranks = {}
for i, a in ipairs(ARGV) do ranks[i] = tonumber(a) end
local pop = {}
for b = 0, 255 do
  local n, x = 0, b
  while x > 0 do
    n = n + bit.band(x, 1)
    x = bit.rshift(x, 1)
  end
  pop[b] = n
end
local out = {}
local r = 1
local before = 0 -- members before this chunk
for start = 0, len - 1, CHUNK do
  if r > #ranks then break end
  local stop = math.min(start + CHUNK, len) - 1
  local n = redis.call('BITCOUNT', key, start, stop)
  if ranks[r] < before + n then
    local bytes = redis.call('GETRANGE', key, start, stop)
    local seen = before
    for i = 1, #bytes do
      local byte = string.byte(bytes, i)
      local p = pop[byte]
      while r <= #ranks and ranks[r] < seen + p do
        local k = ranks[r] - seen
        for j = 0, 7 do
          if bit.band(byte, bit.rshift(0x80, j)) ~= 0 then
            if k == 0 then
              out[#out + 1] = (start + i - 1) * 8 + j
              break
            end
            k = k - 1
          end
        end
        r = r + 1
      end
      seen = seen + p
      if r > #ranks or ranks[r] >= before + n then break end
    end
  end
  before = before + n
end
return out
