-- Records that an agent is on a call with a customer.
-- KEYS: the agent's current call (hash), the customers it talked to (zset); ARGV: customer id,
-- msisdn, call id ("" when none), start (ms), end of the call's window (ms), now (ms), how long
-- calls are remembered (ms). -> 1 when the call is now the agent's current one, 0 otherwise
-- A start older than the call recorded (a late retry of an earlier call), or not after the end of
-- the call recorded as ended (a retry of an ended call's start), does not replace it; a call
-- whose window has already passed is only remembered.
local at, untilMs, now, memory = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local function num(x) return string.format('%.0f', x) end
local current = 0
local h = redis.call('HMGET', KEYS[1], 'at', 'ended')
local recorded, ended = tonumber(h[1] or '-1'), tonumber(h[2] or '-1')
if untilMs > now and recorded <= at and ended < at then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'customerId', ARGV[1], 'msisdn', ARGV[2], 'callId', ARGV[3], 'at', num(at))
  redis.call('PEXPIREAT', KEYS[1], num(untilMs))
  current = 1
end
local last = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1')
if at > last then redis.call('ZADD', KEYS[2], num(at), ARGV[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', num(now - memory))
redis.call('PEXPIRE', KEYS[2], num(memory))
return current
