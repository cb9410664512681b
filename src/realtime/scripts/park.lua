-- Sets an entry aside with its error and acknowledges it.
-- KEYS: state (the stream key again for an entry without an id), stream, parked; ARGV: entry id,
-- group, cap, then the parked entry's field/value pairs.
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
-- pcall: a state key that is not a hash (the very thing that may have failed the event) must not keep it from being parked
if KEYS[1] ~= KEYS[2] then redis.pcall('HSET', KEYS[1], 'state', 'parked') end
redis.call('XACK', KEYS[2], ARGV[2], ARGV[1])
return 1
