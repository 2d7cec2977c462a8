--[[
  Pop the first non-empty list and register the message as unacked in the same step (kombu's
  BRPOP + QoS.append made atomic), so no kill between the pop and the registration can lose it.
  With a holder name, the message is also recorded as held by that worker (see
  restore-lost.lua), so that its messages go back to their queues soon after it dies.

  Variadic: the key count is the first argument (no -<numkeys> suffix in the file name).
    KEYS[1]       the `unacked` hash
    KEYS[2]       the `unacked_index` zset
    KEYS[3]       the owner hash (delivery tag -> holder)
    KEYS[4]       this holder's held hash (delivery tag -> "<message bytes>:<list key>")
    KEYS[5]       the set of holders
    KEYS[6..]     the lists to pop from, in order
    ARGV[1]       now, in seconds (the index score)
    ARGV[2]       the holder's name; '' records no holder

  Returns {list key, raw message, registered (0|1), delivery tag}, or false when every list is empty.
  A message without a string delivery tag is returned unregistered (the caller logs and drops it).

  Every key's type is checked before anything is popped: a script aborts at the first failing
  command but keeps what it already did, so an `unacked` key of another type (a queue named
  `unacked`) would otherwise take a message off its queue and then fail to register it. A key
  of the wrong type answers an error that starts with WRONGTYPE and nothing is changed; a queue key
  holding something other than a list is skipped (it holds no messages).
]]
local unacked, index, owner, held, holders = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function typeOf(key) return redis.call('TYPE', key)['ok'] end
local function misplaced(key, want, role)
  local t = typeOf(key)
  if t ~= 'none' and t ~= want then
    return 'WRONGTYPE ' .. key .. ' holds a ' .. t .. ' where kombu keeps its ' .. role .. ' (a ' .. want ..
      '): nothing was taken off any queue; delete or rename that key (a queue must not be named ' .. key .. ')'
  end
  return nil
end
local holder = ARGV[2]
local bad = misplaced(unacked, 'hash', 'unacked messages') or misplaced(index, 'zset', 'unacked index')
if not bad and holder ~= '' then
  bad = misplaced(owner, 'hash', 'unacked owners') or misplaced(held, 'hash', 'held messages')
    or misplaced(holders, 'set', 'holders')
end
if bad then return redis.error_reply(bad) end
for i = 6, #KEYS do
  local item = false
  if typeOf(KEYS[i]) == 'list' then item = redis.call('RPOP', KEYS[i]) end
  if item then
    local ok, msg = pcall(cjson.decode, item)
    if ok and type(msg) == 'table' and type(msg.properties) == 'table'
       and type(msg.properties.delivery_tag) == 'string' then
      local di = msg.properties.delivery_info
      local ex, rk = '', ''
      if type(di) == 'table' then
        if type(di.exchange) == 'string' then ex = di.exchange end
        if type(di.routing_key) == 'string' then rk = di.routing_key end
      end
      local tag = msg.properties.delivery_tag
      redis.call('ZADD', index, ARGV[1], tag)
      redis.call('HSET', unacked, tag, '[' .. item .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(rk) .. ']')
      if holder ~= '' then
        redis.call('HSET', owner, tag, holder)
        redis.call('HSET', held, tag, #item .. ':' .. KEYS[i])
        redis.call('SADD', holders, holder)
      end
      return {KEYS[i], item, 1, tag}
    end
    return {KEYS[i], item, 0, ''}
  end
end
return false
