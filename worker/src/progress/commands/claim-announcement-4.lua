--[[
  Claims the announcement of a finished round of a group and records it, in one atomic step: the
  service that sets the done key also appends the announcement to the outbox stream, so a claimed
  announcement can no longer be lost by a service dying right after the claim.
    KEYS[1]  the done key of the round (SET NX)
    KEYS[2]  the announcement outbox (a stream; its consumer group delivers it)
    KEYS[3]  when the group's round was opened (deleted on a claim)
    KEYS[4]  the set of open groups (the member is removed in any case: the round is final)
    ARGV[1]  the done key's value, ARGV[2] its lifetime (s)
    ARGV[3]  the outbox entry (JSON), ARGV[4] the open-groups member
  Returns 1 when this call claimed the round, 0 when it was claimed before. A wrong key type
  answers an error before anything is written.
]]
local t = redis.call('TYPE', KEYS[2])['ok']
if t ~= 'stream' and t ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' holds a ' .. t .. ', not the announcement stream: nothing was claimed')
end
redis.call('SREM', KEYS[4], ARGV[4])
if not redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then return 0 end
redis.call('XADD', KEYS[2], '*', 'entry', ARGV[3])
redis.call('DEL', KEYS[3])
return 1
