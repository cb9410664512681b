-- Stores a customer's live decision profile, unless it changed since it was read.
-- KEYS: the profile (string), its version (counter); ARGV: the version read before the graph read
-- ("" when there was none), the profile (JSON), its time to live (ms). -> 1 when stored, 0 when refused
-- Every invalidation INCRs the version before it deletes the profile, so a version that moved
-- means the graph changed after (or while) this profile was read: storing it would serve a stale
-- holding until the TTL; the next decision reads the graph again instead.
local v = redis.call('GET', KEYS[2])
if (v or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
