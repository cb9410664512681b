-- Claims a decision request, or says how far another claim of it got.
-- KEYS: the request's key; ARGV: this claim's lock value, lock lifetime (ms).
-- -> "" when claimed (decide now), else the key's value: a lock ("lock:…", another is deciding)
--    or the answer (the decision ids, JSON)
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ''
