-- Takes an event for processing.
-- KEYS: state; ARGV: entry id, ttl seconds, lease ms. -> {status, outcome}
-- An event's first entry owns it; another entry with the same event id is a duplicate, as is
-- anything after the event was done or parked. While one consumer holds the lease (it began
-- less than `lease` ago and has not failed), another that claimed the entry is told BUSY. An
-- event already pushed comes back with its outcome: only its writes remain.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'entry', 'state', 'outcome', 'lease')
if not h[1] then
  redis.call('HSET', KEYS[1], 'entry', ARGV[1], 'state', 'processing', 'lease', now + tonumber(ARGV[3]))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {'RUN', ''}
end
if h[2] == 'done' or h[2] == 'parked' or h[1] ~= ARGV[1] then return {'DUPLICATE', ''} end
if (h[2] == 'processing' or h[2] == 'pushed') and tonumber(h[4] or '0') > now then return {'BUSY', ''} end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[3]))
if h[2] == 'pushed' then return {'RUN', h[3] or ''} end
redis.call('HSET', KEYS[1], 'state', 'processing')
return {'RUN', ''}
