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
]]
local unacked, index = KEYS[1], KEYS[2]
for i = 3, #KEYS do
  local item = redis.call('RPOP', KEYS[i])
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
