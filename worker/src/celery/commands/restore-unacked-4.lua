--[[
  Move one unacked message back to its queue if it is still the payload the caller read
  (compare and swap, so a concurrent ack or restore wins).
    KEYS[1]  the `unacked` hash
    KEYS[2]  the `unacked_index` zset
    KEYS[3]  the list to push to
    KEYS[4]  the owner hash (delivery tag -> holder; see restore-lost.lua): the entry goes too
    ARGV[1]  delivery tag
    ARGV[2]  the stored hash value the caller read
    ARGV[3]  the message to push; '' drops the message (unreadable) without pushing
    ARGV[4]  'LPUSH' (popped last, kombu's reject with requeue) or 'RPUSH' (popped next)
  Returns 1 when restored (or dropped), 0 when the entry changed meanwhile, -1 when the queue key
  holds something other than a list: the message then stays unacked (nothing is removed before
  every key's type is known, so a wrong key can never eat it).
]]
local function typeof(key) return redis.call('TYPE', key)['ok'] end
local t = typeof(KEYS[1])
if t ~= 'hash' then
  if t == 'none' then return 0 end
  return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' holds a ' .. t .. ', not kombu\'s unacked hash: nothing was restored')
end
t = typeof(KEYS[2])
if t ~= 'zset' and t ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. KEYS[2] .. ' holds a ' .. t .. ', not kombu\'s unacked index: nothing was restored')
end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' then
  t = typeof(KEYS[3])
  if t ~= 'list' and t ~= 'none' then return -1 end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[3] ~= '' then redis.call(ARGV[4], KEYS[3], ARGV[3]) end
return 1
