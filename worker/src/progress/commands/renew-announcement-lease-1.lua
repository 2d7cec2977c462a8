--[[
  Renews a deliverer's lease on an outbox entry (resets its idle time) only while that deliverer
  still owns it: an entry another service took over after the lease ran out stays with that one.
    KEYS[1]  the outbox stream
    ARGV[1]  the consumer group, ARGV[2] the consumer, ARGV[3] the entry id
  Returns 1 when renewed, 0 when the entry is acknowledged or owned by another consumer.
]]
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
