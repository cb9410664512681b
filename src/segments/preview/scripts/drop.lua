-- Unlinks a batch of a generation's keys. KEYS[1] its key list (full names, as the scripts write them);
-- ARGV[1] the SSCAN cursor. Returns the next cursor ('0': done).
local r = redis.call('SSCAN', KEYS[1], ARGV[1], 'COUNT', 500)
if #r[2] > 0 then redis.call('UNLINK', unpack(r[2])) end
return r[1]
