--[[
  Release a lock only if this holder still owns it (its token is the value).
    KEYS[1]  the lock key
    ARGV[1]  the holder's token
  Returns 1 when released, 0 when the lock expired, another holder took it, or the key is not a
  string (then it is no lock of ours and is left alone).
]]
if redis.call('TYPE', KEYS[1])['ok'] ~= 'string' then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
