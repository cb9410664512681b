-- Gives up a claim whose decision failed, so a retry decides afresh (only if the lock is still this claim's).
-- KEYS: the request's key; ARGV: this claim's lock value. -> 1 when released
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
