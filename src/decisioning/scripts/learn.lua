-- One response into the Bayesian probit models of the offer's product kind and of the offer
-- (AdPredictor: Graepel et al., ICML 2010), once per decision. Every weight is a Gaussian stored as
-- "<mean>:<variance>" in the model's hash under its feature; a missing weight is at its prior. The
-- kind's and the offer's weights add up to one score, so one assumed-density-filtering step updates
-- both together. Atomic: two replicas' updates are serialised here and none is lost.
-- KEYS: marker, kind model, offer model, set of models.
-- ARGV: y (1 or -1), kind model id, offer model id ('' for none), marker TTL, beta², then the kind model's
-- count of features k, then k triples (feature, prior mean, prior variance), then the offer's
-- triples. -> {1, kind n, offer n, {kind feature, value, ...}, {offer feature, value, ...}} when
-- learned, {0} when the decision was learned from before.
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[4]) == false then return {0} end
local y = tonumber(ARGV[1])
local beta2 = tonumber(ARGV[5])
local kindCount = tonumber(ARGV[6])

-- Weights in play: model key, feature, mean, variance.
local ws = {}
local function gather(key, from, to)
  local fields = {}
  for i = from, to, 3 do fields[#fields + 1] = ARGV[i] end
  if #fields == 0 then return end
  local stored = redis.call('HMGET', key, unpack(fields))
  for j = 1, #fields do
    local i = from + (j - 1) * 3
    local m, v = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
    local s = stored[j]
    if s then
      local a, b = string.match(s, '^([^:]+):(.+)$')
      m, v = tonumber(a), tonumber(b)
    end
    ws[#ws + 1] = { key = key, f = fields[j], m = m, v = v }
  end
end
local kindFrom, kindTo = 7, 6 + 3 * kindCount
gather(KEYS[2], kindFrom, kindTo)
local kindWeights = #ws
gather(KEYS[3], kindTo + 1, #ARGV)

local mean, var = 0, beta2
for _, w in ipairs(ws) do
  mean = mean + w.m
  var = var + w.v
end
local sd = math.sqrt(var)
local t = y * mean / sd

-- v(t) = phi(t) / Phi(t) and w(t) = v (v + t), computed stably for very negative t through
-- erfc's Chebyshev fit (Numerical Recipes erfcc, relative error < 1.2e-7).
local function erfcTail(z)
  local u = 1 / (1 + 0.5 * z)
  local p = -1.26551223 + u * (1.00002368 + u * (0.37409196 + u * (0.09678418 + u * (-0.18628806 + u * (0.27886807 + u * (-1.13520398 + u * (1.48851587 + u * (-0.82215223 + u * 0.17087277))))))))
  return u, p
end
local v
if t < 0 then
  -- Phi(t) = 0.5 erfc(z), z = -t/sqrt2, erfc(z) = u exp(-z^2 + p); phi(t) = exp(-z^2) / sqrt(2 pi).
  local u, p = erfcTail(-t / math.sqrt(2))
  v = 1 / (math.sqrt(2 * math.pi) * 0.5 * u * math.exp(p))
else
  local z = t / math.sqrt(2)
  local u, p = erfcTail(z)
  local cdf = 1 - 0.5 * u * math.exp(-z * z + p)
  v = math.exp(-t * t / 2) / math.sqrt(2 * math.pi) / cdf
end
local w = v * (v + t)

local out = { {}, {} }
for i, wt in ipairs(ws) do
  local m = wt.m + y * wt.v / sd * v
  local nv = wt.v * (1 - wt.v / var * w)
  -- Never certain: a floor keeps a weight able to move if the world changes.
  if nv < 1e-6 then nv = 1e-6 end
  local value = string.format('%.17g:%.17g', m, nv)
  redis.call('HSET', wt.key, wt.f, value)
  local o = out[i <= kindWeights and 1 or 2]
  o[#o + 1] = wt.f
  o[#o + 1] = value
end
local positive = y > 0 and 1 or 0
local kindN = redis.call('HINCRBY', KEYS[2], 'n', 1)
redis.call('HINCRBY', KEYS[2], 'n1', positive)
redis.call('SADD', KEYS[4], ARGV[2])
-- No offer (the warm start replays history, which names products, not offers): the kind learns alone.
local offerN = 0
if ARGV[3] ~= '' then
  offerN = redis.call('HINCRBY', KEYS[3], 'n', 1)
  redis.call('HINCRBY', KEYS[3], 'n1', positive)
  redis.call('SADD', KEYS[4], ARGV[3])
end
return { 1, kindN, offerN, out[1], out[2] }
