#!lua name=presence
-- presence.lua, part 1 of 3: the header, the keys, records and connections, transitions. The
-- parts (resources/redis/presence/*.lua) are joined in order at build time into one library,
-- <build dir>/resources/redis/presence.lua (cmake/AssembleLuaLibrary.cmake): the file the
-- binary carries, the package installs and FUNCTION LOAD takes.
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
    P.."presence:info"             hash     m -> JSON {since, reason, connections, nodes, counts}
                                            (counts: node -> its connections, so a reader can
                                            leave out nodes that died since)
    P.."presence:deadlines"        zset     m -> ms when its TTL runs out (the sweep's index)
    P.."presence:offline"          zset     m -> ms it went OFFLINE (bounds the roster)
    P.."presence:alive:"..m        string   with the TTL; its `expired` event is the fast path
                                            (written by presence_connect and older libraries)
    P.."presence:due:"..ms         string   expires at ms: some member's deadline falls in the
                                            DUE_STEP ms before; its `expired` event starts a sweep
                                            (the heartbeat processors' fast path: one key per
                                            step of time instead of one per member)
    P.."presence:conns"            hash     m -> JSON {node: open connections on that node}
                                            (v7 and older: a hash P.."presence:conns:"..m per
                                            member; read once and moved here)
    P.."presence:node:"..node      string   with a TTL: the node is alive (for readers of
                                            older libraries; decisions go by presence:nodes)
    P.."presence:nodes"            zset     node -> ms its liveness runs out (for readers: rows
                                            count only live nodes' connections, see info.counts)
    P.."presence:node-records"     hash     node -> JSON the node published with its liveness
                                            {v, started, sessions, members, hbps, rtt, seen, ttl};
                                            dropped with its presence:nodes entry (an hour dead)
    P.."presence:timeouts"         list     "at:late" per OFFLINE timeout, newest first, the last
                                            1,000 (late: ms after the member's deadline)

  Keys are derived from the prefix P. Callers declare them too (FCALL f 10 <the keys below in
  RedisKeys::declared() order> P ...), which Redis Cluster needs: with a prefix holding a hash tag
  ("{presence-3}:") every key is in one slot, and a function either runs with all of its keys on
  the node or is redirected before it runs. The only keys a function touches that it does not
  declare are the fast-path hints (alive:, due:, node:): written with redis.pcall, so a hint
  that is elsewhere (its slot migrating) is skipped and the function goes on; the deadline index
  and the sweep stand for them. The first declared key, when there is one, names the presence
  stream: in a cluster, the default room's shard ("{presence}:") appends to the seed's
  `presence`, which shares its slot. Calls that declare nothing (nodes of v7) keep P.."presence".

  Time is the Redis server's (TIME), so nodes with skewed clocks agree on every deadline.
  Common arguments: P, maxlen (approximate cap of the presence stream), keep (offline rows kept).
]]

local VERSION = 9 -- 9: presence_sweep and presence_timeout may carry a time after which they do nothing (a call a hung Redis held past the node's reply deadline); 8: keys declared (the first names the presence stream), a member's connections are one field of presence:conns, node liveness from presence:nodes, hints written with pcall (Redis Cluster); 7: presence_heartbeat_groups (many members per entry, bulk renewals, a due key per 20 ms of deadlines instead of an alive key per member, none while notifications are off), a first refresh reads less; 6: node records, the timeouts' lateness, presence_diagnostics; 2: rooms (members "room/client", the room field); 3: no revival by a heartbeat older than the leave; 4: a renewal is two commands; 5: bulk deletes in chunks, heartbeats carry their TTL and connections, no timeout while processors lag

-- The presence stream of the call under way (see the header): set by every entry point that
-- writes transitions, before anything else (function calls never overlap).
local declared_stream = nil
local function presence_stream(P)
  return declared_stream or (P .. 'presence')
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A member's record from `raw`, its field of presence:info (false or junk: an empty one).
local function decode_info(raw)
  if raw then
    local ok, decoded = pcall(cjson.decode, raw)
    if ok and type(decoded) == 'table' then return decoded end
  end
  return {}
end

local function info_of(P, client)
  return decode_info(redis.call('HGET', P .. 'presence:info', client))
end

-- A node is alive while its entry in presence:nodes (set by presence_alive) lies ahead.
local function node_alive(P, node, now)
  local until_ms = tonumber(redis.call('ZSCORE', P .. 'presence:nodes', node))
  return until_ms ~= nil and until_ms > now
end

-- A member's connections as a v7 or older library wrote them (a hash of its own): read, moved
-- into its field of presence:conns, and the hash deleted. {} when there is none.
local function legacy_conns(P, client)
  local counts = {}
  local legacy = P .. 'presence:conns:' .. client
  local flat = redis.pcall('HGETALL', legacy)
  if type(flat) == 'table' and not flat.err and #flat > 0 then
    for i = 1, #flat, 2 do counts[flat[i]] = tonumber(flat[i + 1]) end
    redis.pcall('DEL', legacy)
    if next(counts) ~= nil then
      redis.call('HSET', P .. 'presence:conns', client, cjson.encode(counts))
    end
  end
  return counts
end

-- A member's connections per node (node -> count) from `raw`, its field of presence:conns
-- (false: none; then a member written by v7 or older is read from its own hash and moved).
-- `known`: false for a member with no status, which no older library left a hash for.
local function decode_conns(P, client, raw, known)
  if raw then
    local ok, decoded = pcall(cjson.decode, raw)
    if ok and type(decoded) == 'table' then return decoded end
    return {}
  end
  if known == false then return {} end
  return legacy_conns(P, client)
end

local function conns_of(P, client, known)
  return decode_conns(P, client, redis.call('HGET', P .. 'presence:conns', client), known)
end

local function write_conns(P, client, counts)
  if next(counts) == nil then
    redis.call('HDEL', P .. 'presence:conns', client)
  else
    redis.call('HSET', P .. 'presence:conns', client, cjson.encode(counts))
  end
end

-- `node` now holds `count` connections of the member (0 or nil: none).
local function set_conns(P, client, node, count)
  local counts = conns_of(P, client)
  if count and count > 0 then counts[node] = count else counts[node] = nil end
  write_conns(P, client, counts)
end

-- Of a member's connections per node (conns_of), those on nodes that are still alive: their
-- total, those nodes (sorted), and each one's count.
-- `alive_nodes`, when given, remembers each node's liveness for the rest of one call.
local function live_of(P, all, now, alive_nodes)
  local total, nodes, counts = 0, {}, {}
  for node, count in pairs(all) do
    count = tonumber(count) or 0
    local alive
    if count > 0 then
      if alive_nodes then
        alive = alive_nodes[node]
        if alive == nil then
          alive = node_alive(P, node, now)
          alive_nodes[node] = alive
        end
      else
        alive = node_alive(P, node, now)
      end
    end
    if alive then
      total = total + count
      nodes[#nodes + 1] = node
      counts[node] = count
    end
  end
  table.sort(nodes)
  return total, nodes, counts
end

local function live_connections(P, client, now)
  return live_of(P, conns_of(P, client), now)
end

local function write_info(P, client, info)
  redis.call('HSET', P .. 'presence:info', client, cjson.encode(info))
end

-- Lua's unpack() fails past ~8,000 values (LUAI_MAXCSTACK), and a function that fails halfway
-- has already written what came before (Redis does not roll a function back): so every bulk
-- command here takes at most `chunk` arguments.
local chunk = 1000

-- Drops the oldest OFFLINE rows beyond `keep` (however many: a lowered keep, or rows written
-- by a library that kept more), a chunk at a time.
local function trim_offline(P, offline, keep)
  local extra = redis.call('ZCARD', offline) - keep
  while extra > 0 do
    local oldest = redis.call('ZRANGE', offline, 0, math.min(extra, chunk) - 1)
    redis.call('ZREM', offline, unpack(oldest))
    redis.call('HDEL', P .. 'presence:status', unpack(oldest))
    redis.call('HDEL', P .. 'presence:info', unpack(oldest))
    extra = extra - #oldest
  end
end

-- The presence stream's entry of a transition.
local function append_event(P, maxlen, client, status, reason, node, at)
  local room, id = string.match(client, '^([^/]+)/(.+)$')
  if room then
    return redis.call('XADD', presence_stream(P), 'MAXLEN', '~', maxlen, '*',
                      'client', id, 'status', status, 'reason', reason,
                      'node', node, 'at', tostring(at), 'room', room)
  end
  return redis.call('XADD', presence_stream(P), 'MAXLEN', '~', maxlen, '*',
                    'client', client, 'status', status, 'reason', reason,
                    'node', node, 'at', tostring(at))
end

-- `info` and `was`, when the caller read them already: the member's record (info_of) and its
-- status before (false: none, so it is in no index).
local function transition(P, maxlen, keep, client, status, reason, node, at, info, was)
  redis.call('HSET', P .. 'presence:status', client, status)
  info = info or info_of(P, client)
  info.since = at
  info.reason = reason
  if status == 'OFFLINE' then
    info.connections = 0
    info.nodes = nil
    info.counts = nil
    redis.call('ZREM', P .. 'presence:deadlines', client)
    redis.call('HDEL', P .. 'presence:conns', client)
    redis.pcall('DEL', P .. 'presence:alive:' .. client, P .. 'presence:conns:' .. client)
    local offline = P .. 'presence:offline'
    redis.call('ZADD', offline, at, client)
    trim_offline(P, offline, keep)
  elseif was ~= false then
    redis.call('ZREM', P .. 'presence:offline', client)
  end
  write_info(P, client, info)
  return append_event(P, maxlen, client, status, reason, node, at)
end
