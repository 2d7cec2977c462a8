--[[
  Give back the unacked messages of a worker that is gone (its alive key expired), exactly once:
  only messages still recorded as held by that worker are pushed back (a message another worker
  holds now, or a Python worker's, is never touched), and the holder's records go with them, so a
  second survivor racing for the same worker restores nothing.

  Variadic: the key count is the first argument.
    KEYS[1]    the `unacked` hash
    KEYS[2]    the `unacked_index` zset
    KEYS[3]    the owner hash (delivery tag -> holder)
    KEYS[4]    the lost holder's held hash
    KEYS[5]    the lost holder's alive key
    KEYS[6]    the set of holders
    KEYS[7..]  the list each tag goes back to (KEYS[6 + i] for ARGV[1 + i])
    ARGV[1]    the lost holder's name
    ARGV[2..]  delivery tags, as read from the held hash

  Returns the number of messages given back, or -1 when the holder is alive after all.
]]
local unacked, index, owner, held, alive, holders = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local holder = ARGV[1]
if #KEYS ~= 5 + #ARGV then return redis.error_reply('restore-lost needs one list key per delivery tag') end
if redis.call('EXISTS', alive) == 1 then return -1 end
if redis.call('TYPE', unacked).ok ~= 'hash' then return 0 end
local n = 0
for i = 2, #ARGV do
  local tag, list = ARGV[i], KEYS[5 + i]
  local record = redis.call('HGET', held, tag)
  if record and redis.call('HGET', owner, tag) == holder then
    local stored = redis.call('HGET', unacked, tag)
    local bytes = tonumber(string.match(record, '^(%d+):'))
    local listType = redis.call('TYPE', list).ok
    if stored and bytes and string.sub(record, #tostring(bytes) + 2) == list
       and (listType == 'list' or listType == 'none') then
      -- kombu stores '[' .. message .. ', "exchange", "routing_key"]': the message is the first `bytes` after '['.
      redis.call('RPUSH', list, string.sub(stored, 2, 1 + bytes))
      redis.call('HDEL', unacked, tag)
      redis.call('ZREM', index, tag)
      n = n + 1
    end
    redis.call('HDEL', owner, tag)
  end
  redis.call('HDEL', held, tag)
end
if redis.call('HLEN', held) == 0 then redis.call('SREM', holders, holder) end
return n
