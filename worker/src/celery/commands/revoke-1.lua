--[[
  Remember task ids as revoked until a time, in a zset scored by that time (unix ms). Entries
  already past their time are dropped on every write, and the key itself expires with its last
  entry, so the set never grows without bound.
    KEYS[1]   the revoked zset
    ARGV[1]   now (unix ms)
    ARGV[2]   revoked until (unix ms, integer)
    ARGV[3..] task ids
  An id already revoked until a later time keeps that time. Returns the number of live entries.
  A key of another type answers a WRONGTYPE error before anything is written.
]]
local key, untilMs = KEYS[1], tonumber(ARGV[2])
local t = redis.call('TYPE', key)['ok']
if t ~= 'zset' and t ~= 'none' then
  return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. t .. ', not the revoked zset: nothing was revoked')
end
for i = 3, #ARGV do
  local old = redis.call('ZSCORE', key, ARGV[i])
  if not old or tonumber(old) < untilMs then redis.call('ZADD', key, ARGV[2], ARGV[i]) end
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', key, last[2]) end
return redis.call('ZCARD', key)
