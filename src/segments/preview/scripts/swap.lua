-- Serves a generation just built. KEYS[1] base; ARGV[1] the generation. Returns the one it replaces ('' if none).
local old = redis.call('GET', KEYS[1] .. ':current') or ''
redis.call('SET', KEYS[1] .. ':current', ARGV[1])
return old
