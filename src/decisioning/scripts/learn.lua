-- Counts one response into the offer's and the product kind's model, once per decision.
-- KEYS: marker, offer model, kind model, set of models. ARGV: class, offer model id, kind model id,
-- marker TTL, features... -> 1 when counted, 0 when the decision was counted before
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) == false then return 0 end
for k = 2, 3 do
  redis.call('HINCRBY', KEYS[k], 'n' .. ARGV[1], 1)
  for i = 5, #ARGV do redis.call('HINCRBY', KEYS[k], ARGV[1] .. '|' .. ARGV[i], 1) end
end
redis.call('SADD', KEYS[4], ARGV[2], ARGV[3])
return 1
