--[[
  Publishes a group-done announcement once per round: the flag is set and the event published in
  one atomic step, so a service that takes over an announcement whose first deliverer died does
  not publish it again if it was published.
    KEYS[1]  the published flag of the round
    ARGV[1]  its lifetime (s), ARGV[2] the pub/sub channel, ARGV[3] the event (JSON)
  Returns 1 when published now, 0 when it had been.
]]
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[1], 'NX') then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
