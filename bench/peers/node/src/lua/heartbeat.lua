-- A batch of heartbeats, atomically. Invariant: the alive key exists ⇒ the client is in the
-- room's status hash. So a refresh of an ONLINE client is one SET; only a missing key costs more.
--   KEYS[1] presence stream, KEYS[2] rooms set, then per heartbeat: alive key, status hash
--   ARGV[1] ttl ms, ARGV[2] now ms, ARGV[3] presence MAXLEN, then per heartbeat: client, room
-- Returns the number of ONLINE transitions.
local ttl, now, maxlen = ARGV[1], ARGV[2], ARGV[3]
local transitions = 0
for i = 1, (#KEYS - 2) / 2 do
  local alive, status = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local client, room = ARGV[2 * i + 2], ARGV[2 * i + 3]
  -- nil: the key did not exist (first heartbeat, or it expired and OFFLINE may not have run yet)
  if not redis.call('SET', alive, now, 'PX', ttl, 'GET') and redis.call('HEXISTS', status, client) == 0 then
    local id
    if room == 'default' then
      id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'client', client, 'status', 'ONLINE', 'at', now)
    else
      id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'client', client, 'status', 'ONLINE', 'at', now,
        'room', room)
    end
    redis.call('HSET', status, client, id .. ' ' .. now)
    redis.call('SADD', KEYS[2], room)
    transitions = transitions + 1
  end
end
return transitions
