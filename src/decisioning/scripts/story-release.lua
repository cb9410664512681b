-- Releases a customer's story hold (one story across channels) when an answer closes it:
-- the held decision itself, or any decision of the held offer or of the hold's campaign.
-- Compare-and-delete in one step, so a hold the next wave wrote meanwhile for another offer stays.
-- KEYS[1] campaigns:story:{customerId}; ARGV: decisionId, offerId, campaignId ('' when none).
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, hold = pcall(cjson.decode, v)
-- An unreadable hold is nobody's story: drop it rather than keep it forever.
if not ok or type(hold) ~= 'table' then redis.call('DEL', KEYS[1]) return 1 end
if hold.decisionId == ARGV[1] or hold.offerId == ARGV[2] or (ARGV[3] ~= '' and hold.campaignId == ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
