-- Re-queues a parked event as new (validated again).
-- KEYS: stream, parked, state; ARGV: parked id, ttl. -> new entry id or "" when the parked entry is gone
local e = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #e == 0 then return '' end
local f = {}
local src = e[1][2]
for i = 1, #src, 2 do f[src[i]] = src[i + 1] end
local id = redis.call('XADD', KEYS[1], '*', 'id', f['id'] or '', 'customerId', f['customerId'] or '', 'type', f['type'] or '', 'at', f['at'] or '', 'payload', f['payload'] or '', 'source', f['source'] or '')
if f['id'] and f['id'] ~= '' then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'entry', id, 'state', 'queued')
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
redis.call('XDEL', KEYS[2], ARGV[1])
return id
