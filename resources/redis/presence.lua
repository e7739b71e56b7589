#!lua name=presence
--[[
  presence: the atomic state transitions of the presence platform, as Redis Functions.

  Every transition is decided here, inside one function call, against a status record, so it
  happens exactly once whichever node (or how many nodes at once) asks for it. Each transition
  is appended to the `presence` stream (fields client, status, reason, node, at, and room
  outside the default room).

  Presence is kept per member: a client in a room. A member's name ("m" below) is the client
  id in the default room and "room/client" in any other ('/' is allowed in neither name), so
  the default room keeps the seed's plain client ids everywhere and every key below holds the
  members of all rooms. A client in two rooms is two members, ONLINE or OFFLINE on their own.
  The `client` arguments of the functions below are member names.

  Keys (P is the configurable prefix, "" by default, so the streams keep the seed's names):
    P.."heartbeat"                 stream   heartbeats (written by nodes and anyone else)
    P.."presence"                  stream   transitions
    P.."presence:status"           hash     m -> ONLINE | OFFLINE   (the exactly-once guard)
    P.."presence:info"             hash     m -> JSON {since, reason, connections, nodes}
    P.."presence:deadlines"        zset     m -> ms when its TTL runs out (the sweep's index)
    P.."presence:offline"          zset     m -> ms it went OFFLINE (bounds the roster)
    P.."presence:alive:"..m        string   with the TTL; its `expired` event is the fast path
    P.."presence:conns:"..m        hash     node -> open connections on that node
    P.."presence:node:"..node      string   with a TTL: the node is alive

  Keys are derived from the prefix rather than declared, so this library is for a single Redis
  (or a primary with replicas), not Redis Cluster.

  Time is the Redis server's (TIME), so nodes with skewed clocks agree on every deadline.
  Common arguments: P, maxlen (approximate cap of the presence stream), keep (offline rows kept).
]]

local VERSION = 4 -- 2: rooms (members "room/client", the room field); 3: no revival by a heartbeat older than the leave; 4: a renewal is two commands

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function info_of(P, client)
  local raw = redis.call('HGET', P .. 'presence:info', client)
  if raw then
    local ok, decoded = pcall(cjson.decode, raw)
    if ok and type(decoded) == 'table' then return decoded end
  end
  return {}
end

-- Open connections of a client on nodes that are still alive, and those nodes.
local function live_connections(P, client)
  local flat = redis.call('HGETALL', P .. 'presence:conns:' .. client)
  local total, nodes = 0, {}
  for i = 1, #flat, 2 do
    local count = tonumber(flat[i + 1]) or 0
    if count > 0 and redis.call('EXISTS', P .. 'presence:node:' .. flat[i]) == 1 then
      total = total + count
      nodes[#nodes + 1] = flat[i]
    end
  end
  return total, nodes
end

local function write_info(P, client, info)
  redis.call('HSET', P .. 'presence:info', client, cjson.encode(info))
end

local function transition(P, maxlen, keep, client, status, reason, node, at)
  redis.call('HSET', P .. 'presence:status', client, status)
  local info = info_of(P, client)
  info.since = at
  info.reason = reason
  if status == 'OFFLINE' then
    info.connections = 0
    info.nodes = nil
    redis.call('ZREM', P .. 'presence:deadlines', client)
    redis.call('DEL', P .. 'presence:alive:' .. client, P .. 'presence:conns:' .. client)
    local offline = P .. 'presence:offline'
    redis.call('ZADD', offline, at, client)
    local extra = redis.call('ZCARD', offline) - keep
    if extra > 0 then
      local oldest = redis.call('ZRANGE', offline, 0, extra - 1)
      redis.call('ZREMRANGEBYRANK', offline, 0, extra - 1)
      redis.call('HDEL', P .. 'presence:status', unpack(oldest))
      redis.call('HDEL', P .. 'presence:info', unpack(oldest))
    end
  else
    redis.call('ZREM', P .. 'presence:offline', client)
  end
  write_info(P, client, info)
  local room, id = string.match(client, '^([^/]+)/(.+)$')
  if room then
    return redis.call('XADD', P .. 'presence', 'MAXLEN', '~', maxlen, '*',
                      'client', id, 'status', status, 'reason', reason,
                      'node', node, 'at', tostring(at), 'room', room)
  end
  return redis.call('XADD', P .. 'presence', 'MAXLEN', '~', maxlen, '*',
                    'client', client, 'status', status, 'reason', reason,
                    'node', node, 'at', tostring(at))
end

-- Extends the client's deadline to `deadline` (never shortens it); ONLINE on the first refresh.
-- The deadline index holds exactly the ONLINE members (every transition keeps it so), so ZADD's
-- count of members it added tells a first refresh from a renewal without reading the status:
-- a renewal, the common case, is two commands. `sent_at`, when given, is when the heartbeat
-- was written: a client that left at or after that stays OFFLINE (see heartbeat).
local function refresh(P, maxlen, keep, client, deadline, now, reason, node, sent_at)
  local index = P .. 'presence:deadlines'
  if redis.call('ZADD', index, 'GT', deadline, client) == 0 then
    -- Known and ONLINE: move the fast-path key along (an out-of-order older heartbeat may cut
    -- it short; the deadline in the index stands, and the sweep goes by that).
    redis.call('SET', P .. 'presence:alive:' .. client, node, 'PX', deadline - now)
    return 0
  end
  local status = redis.call('HGET', P .. 'presence:status', client)
  if sent_at and status ~= 'ONLINE' and (info_of(P, client).since or -1) >= sent_at then
    redis.call('ZREM', index, client)
    return 0
  end
  redis.call('SET', P .. 'presence:alive:' .. client, node, 'PX', deadline - now)
  if status ~= 'ONLINE' then
    transition(P, maxlen, keep, client, 'ONLINE', reason, node, now)
    return 1
  end
  return 0
end

-- FCALL presence_heartbeat 0 P maxlen keep ttl_ms  client at_ms node  [client at_ms node ...]
-- A batch of heartbeats read from the stream; at_ms is when each was written (its entry id),
-- so a heartbeat processed late (claimed from a crashed node) counts from when it was sent,
-- and one older than the TTL changes nothing. Returns the number of ONLINE transitions.
local function heartbeat(keys, args)
  local P, maxlen, keep, ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local now = now_ms()
  local online = 0
  for i = 5, #args - 2, 3 do
    local client, at = args[i], tonumber(args[i + 1])
    local deadline = at + ttl
    if deadline > now then
      -- A heartbeat written before the client left (a node heartbeats what it holds, and the
      -- leave may be processed first) must not bring it back: only one sent after counts.
      online = online + refresh(P, maxlen, keep, client, deadline, now, 'heartbeat', args[i + 2], at)
    end
  end
  return online
end

-- FCALL presence_connect 0 P maxlen keep ttl_ms node client connections
-- This node now holds `connections` connections of the client (0: its last one closed here).
local function connect(keys, args)
  local P, maxlen, keep, ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local node, client, count = args[5], args[6], tonumber(args[7])
  local conns = P .. 'presence:conns:' .. client
  local now = now_ms()
  local changed = 0
  if count > 0 then
    redis.call('HSET', conns, node, count)
    changed = refresh(P, maxlen, keep, client, now + ttl, now, 'connected', node)
  else
    redis.call('HDEL', conns, node)
  end
  if redis.call('HGET', P .. 'presence:status', client) == 'ONLINE' then
    local info = info_of(P, client)
    info.connections, info.nodes = live_connections(P, client)
    write_info(P, client, info)
  end
  return changed
end

-- FCALL presence_leave 0 P maxlen keep node client
-- The client's last connection on `node` closed and the grace period passed. OFFLINE "left"
-- only when no other live node holds a connection of it. Returns 1 on a transition.
local function leave(keys, args)
  local P, maxlen, keep, node, client = args[1], args[2], tonumber(args[3]), args[4], args[5]
  redis.call('HDEL', P .. 'presence:conns:' .. client, node)
  if redis.call('HGET', P .. 'presence:status', client) ~= 'ONLINE' then return 0 end
  local total, nodes = live_connections(P, client)
  if total > 0 then
    local info = info_of(P, client)
    info.connections, info.nodes = total, nodes
    write_info(P, client, info)
    return 0
  end
  transition(P, maxlen, keep, client, 'OFFLINE', 'left', node, now_ms())
  return 1
end

local function expire_one(P, maxlen, keep, client, now, node)
  if redis.call('HGET', P .. 'presence:status', client) ~= 'ONLINE' then
    redis.call('ZREM', P .. 'presence:deadlines', client)
    return 0
  end
  local deadline = tonumber(redis.call('ZSCORE', P .. 'presence:deadlines', client))
  if deadline and deadline > now then return 0 end -- refreshed meanwhile: still alive
  transition(P, maxlen, keep, client, 'OFFLINE', 'timeout', node, now)
  return 1
end

-- FCALL presence_expire 0 P maxlen keep node client [client ...]
-- Clients whose `alive` key Redis reported expired. Returns the number of OFFLINE transitions.
local function expire(keys, args)
  local P, maxlen, keep, node = args[1], args[2], tonumber(args[3]), args[4]
  local now = now_ms()
  local offline = 0
  for i = 5, #args do
    offline = offline + expire_one(P, maxlen, keep, args[i], now, node)
  end
  return offline
end

-- FCALL presence_sweep 0 P maxlen keep node limit
-- The reconciler: every client whose deadline passed goes OFFLINE "timeout", whether or not a
-- keyspace notification arrived (they are fire-and-forget, and late with many keys).
-- Returns {transitions, ms until the next deadline or -1}.
local function sweep(keys, args)
  local P, maxlen, keep, node, limit = args[1], args[2], tonumber(args[3]), args[4], tonumber(args[5])
  local now = now_ms()
  local due = redis.call('ZRANGEBYSCORE', P .. 'presence:deadlines', '-inf', now, 'LIMIT', 0, limit)
  local offline = 0
  for _, client in ipairs(due) do
    offline = offline + expire_one(P, maxlen, keep, client, now, node)
  end
  local next = redis.call('ZRANGE', P .. 'presence:deadlines', 0, 0, 'WITHSCORES')
  local wait = -1
  if #next == 2 then wait = math.max(tonumber(next[2]) - now, 0) end
  return {offline, wait}
end

-- FCALL presence_restore 0 P ttl_ms node client [client ...]
-- After Redis lost its data (a restart without persistence), nodes hand back the clients they
-- last saw ONLINE. Unknown ones are marked ONLINE silently with a fresh TTL, so the living are
-- confirmed by their next heartbeat and the dead time out through the normal path, once.
local function restore(keys, args)
  local P, ttl, node = args[1], tonumber(args[2]), args[3]
  local now = now_ms()
  local restored = 0
  for i = 4, #args do
    local client = args[i]
    if redis.call('HSETNX', P .. 'presence:status', client, 'ONLINE') == 1 then
      redis.call('ZADD', P .. 'presence:deadlines', now + ttl, client)
      redis.call('SET', P .. 'presence:alive:' .. client, node, 'PX', ttl)
      write_info(P, client, {since = now, reason = 'restored', connections = 0})
      restored = restored + 1
    end
  end
  return restored
end

local function version()
  return VERSION
end

redis.register_function('presence_heartbeat', heartbeat)
redis.register_function('presence_connect', connect)
redis.register_function('presence_leave', leave)
redis.register_function('presence_expire', expire)
redis.register_function('presence_sweep', sweep)
redis.register_function('presence_restore', restore)
redis.register_function{function_name = 'presence_version', callback = version,
                        flags = {'no-writes'}}
