--[[
  Pop the first non-empty list and register the message as unacked in the same step (kombu's
  BRPOP + QoS.append made atomic), so no kill between the pop and the registration can lose it.

  Variadic: the key count is the first argument (no -<numkeys> suffix in the file name).
    KEYS[1]       the `unacked` hash
    KEYS[2]       the `unacked_index` zset
    KEYS[3..]     the lists to pop from, in order
    ARGV[1]       now, in seconds (the index score)

  Returns {list key, raw message, registered (0|1), delivery tag}, or false when every list is empty.
  A message without a string delivery tag is returned unregistered (the caller logs and drops it).

  Every key's type is checked before anything is popped: a script aborts at the first failing
  command but keeps what it already did, so an `unacked` key of another type (a queue named
  `unacked`) would otherwise take a message off its queue and then fail to register it. A key
  of the wrong type answers an error that starts with WRONGTYPE and nothing is changed; a queue key
  holding something other than a list is skipped (it holds no messages).
]]
local unacked, index = KEYS[1], KEYS[2]
local function typeof(key) return redis.call('TYPE', key)['ok'] end
local function misplaced(key, want, role)
  local t = typeof(key)
  if t ~= 'none' and t ~= want then
    return 'WRONGTYPE ' .. key .. ' holds a ' .. t .. ' where kombu keeps its ' .. role .. ' (a ' .. want ..
      '): nothing was taken off any queue; delete or rename that key (a queue must not be named ' .. key .. ')'
  end
  return nil
end
local bad = misplaced(unacked, 'hash', 'unacked messages') or misplaced(index, 'zset', 'unacked index')
if bad then return redis.error_reply(bad) end
for i = 3, #KEYS do
  local item = false
  if typeof(KEYS[i]) == 'list' then item = redis.call('RPOP', KEYS[i]) end
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
      return {KEYS[i], item, 1, tag}
    end
    return {KEYS[i], item, 0, ''}
  end
end
return false
