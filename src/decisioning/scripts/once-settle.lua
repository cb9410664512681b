-- Replaces this claim's lock with the answer, kept for the repeat window.
-- KEYS: the request's key; ARGV: this claim's lock value, the answer (JSON), window (ms).
-- -> 1 when stored, 0 when the lock was no longer this claim's (it expired and another took it)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
