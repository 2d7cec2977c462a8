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
  Returns 1 when restored (or dropped), 0 when the entry changed meanwhile.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' then
  -- Never push onto a key that is not a list (a queue name must not collide), and then drop nothing.
  local t = redis.call('TYPE', KEYS[3]).ok
  if t ~= 'list' and t ~= 'none' then return redis.error_reply('the queue key is not a list') end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[3] ~= '' then redis.call(ARGV[4], KEYS[3], ARGV[3]) end
return 1
