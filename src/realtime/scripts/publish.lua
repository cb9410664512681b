-- Sends an event's pushes out, once per event.
-- KEYS: state, push:all, then one target stream per push; ARGV: outcome JSON, pub/sub channel,
-- push:all cap, target cap, target ttl, then one JSON per push. -> the pushes' cursors
-- Stores the outcome (so a retry writes what was pushed rather than deciding again), appends each
-- push to push:all (its id there is the cursor) and to its replay stream under the same id, so
-- one cursor is valid in every stream the push is in, and publishes it.
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'pushed' or state == 'done' then return {} end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1])
local out = {}
for i = 3, #KEYS do
  local json = ARGV[3 + i]
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'p', json)
  -- pcall: fails only when the target holds a later id than push:all (push:all was deleted); the push still goes out
  redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[4], id, 'p', json)
  redis.call('EXPIRE', KEYS[i], ARGV[5])
  redis.call('PUBLISH', ARGV[2], id .. '|' .. json)
  out[#out + 1] = id
end
redis.call('HSET', KEYS[1], 'state', 'pushed')
return out
