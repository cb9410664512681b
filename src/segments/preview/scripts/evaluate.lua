-- Evaluates a segment's set algebra over the generation served, in one step (no change interleaves).
-- KEYS[1] base, KEYS[2] the result key, KEYS[3..] derived bitmaps (graph and trajectory predicates)
-- ARGV[1] the program (JSON), ARGV[2] the result's time to live (ms), ARGV[3] an id for temporaries
-- Program nodes: {o:'all'} {o:'none'} {o:'v', f, v} {o:'d', i} (KEYS[i]) {o:'and'|'or', a:[…]}
--   {o:'not', a} {o:'cmp', f, op, b} (a number field compared with key bits b: op lt, ge, eq or ne)
-- Returns {generation, members, customers}: the result holds existing customers only.
local base = KEYS[1]
local g, gen = served(base)
if not g then return redis.error_reply('NOINDEX the segment index is not built yet') end
for i = 3, #KEYS do
  -- a derived bitmap that expired since it was computed would read as nobody: have it computed again
  if redis.call('EXISTS', KEYS[i]) == 0 then return redis.error_reply('DERIVED ' .. i .. ' expired') end
end
local program = cjson.decode(ARGV[1])
local T = temporaries(base, ARGV[3])
local all = g .. ':all'

local function eval(node)
  local o = node.o
  if o == 'all' then return all end
  if o == 'none' then return T.new() end
  if o == 'v' then return g .. ':v:' .. node.f .. ':' .. node.v end
  if o == 'd' then return KEYS[node.i] end
  if o == 'and' or o == 'or' then
    local keys = {}
    for i, a in ipairs(node.a) do keys[i] = eval(a) end
    local r = T.new()
    redis.call('BITOP', string.upper(o), r, unpack(keys))
    return r
  end
  if o == 'not' then
    local x = eval(node.a)
    local r = T.new()
    redis.call('BITOP', 'AND', r, x, all)
    redis.call('BITOP', 'XOR', r, r, all)
    return r
  end
  if o == 'cmp' then return bsi_compare(g, node.f, node.op, node.b, T, all) end
  error('unknown program node ' .. tostring(o))
end

local root = eval(program)
redis.call('BITOP', 'AND', KEYS[2], root, all)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
local members = redis.call('BITCOUNT', KEYS[2])
local customers = redis.call('BITCOUNT', all)
T.drop()
return { tonumber(gen), members, customers }
