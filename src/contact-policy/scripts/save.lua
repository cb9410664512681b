-- Stores the next policy version unless another change saved one first.
-- KEYS: config hash; ARGV: expected version, new version, rules JSON, updatedAt, updatedBy, change id ("" for none).
-- -> 1 saved, 0 lost a race
if (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'rules', ARGV[3], 'updatedAt', ARGV[4], 'updatedBy', ARGV[5], 'changeId', ARGV[6])
return 1
