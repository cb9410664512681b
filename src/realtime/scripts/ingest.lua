-- Queues events, each once per event id.
-- KEYS: stream, state per event; ARGV: ttl seconds, then per event id, customerId, type, at, payload, source.
-- -> entry id or "" (duplicate) per event
local out = {}
for i = 2, #KEYS do
  local a = 2 + (i - 2) * 6
  if redis.call('EXISTS', KEYS[i]) == 1 then
    out[#out + 1] = ''
  else
    local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[a], 'customerId', ARGV[a + 1], 'type', ARGV[a + 2], 'at', ARGV[a + 3], 'payload', ARGV[a + 4], 'source', ARGV[a + 5], 'checked', '1')
    redis.call('HSET', KEYS[i], 'entry', id, 'state', 'queued')
    redis.call('EXPIRE', KEYS[i], ARGV[1])
    out[#out + 1] = id
  end
end
return out
