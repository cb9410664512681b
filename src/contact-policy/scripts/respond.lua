-- Counts a response to an offer for cool-downs, once per decision id.
-- KEYS: responses set, cool-downs hash, the offer's ignores set; ARGV: at, decision id, offer id,
-- outcome, decline cool-down, ignore window, ignore limit, ignore cool-down, how long responses are
-- remembered (ms). -> 1 when counted, 0 when the decision already had a response
local function num(x) return string.format('%.0f', x) end
local at, id, offer, outcome = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local remember = tonumber(ARGV[9])
if redis.call('ZSCORE', KEYS[1], id) then return 0 end
redis.call('ZADD', KEYS[1], at, id)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(at - remember))
redis.call('PEXPIRE', KEYS[1], remember)

local function untilOf(value) return tonumber(string.match(value, '^(%d+)')) end
local function coolDown(ms, reason)
  if ms <= 0 then return end
  local untilMs = at + ms
  local current = redis.call('HGET', KEYS[2], offer)
  if current and untilOf(current) >= untilMs then return end
  redis.call('HSET', KEYS[2], offer, num(untilMs) .. '|' .. reason)
  -- drop ended cool-downs; the hash lives as long as its longest one
  local all = redis.call('HGETALL', KEYS[2])
  local longest = 0
  for k = 1, #all, 2 do
    local u = untilOf(all[k + 1])
    if u <= at then redis.call('HDEL', KEYS[2], all[k]) elseif u - at > longest then longest = u - at end
  end
  redis.call('PEXPIRE', KEYS[2], num(longest))
end

if outcome == 'DECLINED' then
  coolDown(tonumber(ARGV[5]), 'DECLINED')
elseif outcome == 'IGNORED' then
  local window = tonumber(ARGV[6])
  redis.call('ZADD', KEYS[3], at, id)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', num(at - window))
  if redis.call('ZCOUNT', KEYS[3], '(' .. num(at - window), '+inf') >= tonumber(ARGV[7]) then
    -- the ignores that triggered this cool-down are spent; counting starts afresh after it
    redis.call('DEL', KEYS[3])
    coolDown(tonumber(ARGV[8]), 'IGNORED')
  else
    redis.call('PEXPIRE', KEYS[3], window)
  end
end
return 1
