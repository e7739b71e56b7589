-- OFFLINE for one (room, client), at most once per ONLINE: only HDEL's winner writes the entry.
--   KEYS[1] presence stream, KEYS[2] alive key, KEYS[3] status hash
--   ARGV[1] client, ARGV[2] room, ARGV[3] reason ("expired" | "left"), ARGV[4] now ms,
--   ARGV[5] presence MAXLEN, ARGV[6] "1" = leave now (drop the key), else only if the key is gone
-- Returns the presence entry id, or false when nothing changed.
if ARGV[6] == '1' then
  redis.call('DEL', KEYS[2])
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  return false -- refreshed since it expired
end
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then
  return false -- already OFFLINE (another node, or an earlier notification)
end
if ARGV[2] == 'default' then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'client', ARGV[1], 'status', 'OFFLINE',
    'reason', ARGV[3], 'at', ARGV[4])
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'client', ARGV[1], 'status', 'OFFLINE',
  'reason', ARGV[3], 'at', ARGV[4], 'room', ARGV[2])
