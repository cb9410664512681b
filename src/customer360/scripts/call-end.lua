-- Ends an agent's current call, if it is the call named.
-- KEYS: the agent's current call (hash), the customers it talked to (zset); ARGV: customer id,
-- call id ("" when the event names none), end (ms), how long calls are remembered (ms). -> 1 when
-- the current call ended, 0 when the agent is on another call (or none)
-- The call ends only when the customer matches and, when both name one, the call id too: a late
-- end of an earlier call does not end the next. The ended call stays recorded (field `ended`)
-- until its window passes, so a late retry of its start cannot open it again. The customer counts
-- as talked to until the end.
local at, memory = tonumber(ARGV[3]), tonumber(ARGV[4])
local function num(x) return string.format('%.0f', x) end
local h = redis.call('HMGET', KEYS[1], 'customerId', 'callId', 'ended')
local ended = 0
if h[1] == ARGV[1] and not h[3] and (ARGV[2] == '' or not h[2] or h[2] == '' or h[2] == ARGV[2]) then
  redis.call('HSET', KEYS[1], 'ended', num(at))
  ended = 1
end
local last = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1')
if last >= 0 and at > last then
  redis.call('ZADD', KEYS[2], num(at), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], num(memory))
end
return ended
