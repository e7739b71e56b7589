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

-- Extends the client's deadline to `deadline` (never shortens it); ONLINE on the first refresh.
-- The deadline index holds exactly the ONLINE members (every transition keeps it so), so ZADD's
-- count of members it added tells a first refresh from a renewal without reading the status:
-- a renewal, the common case, is two commands. `sent_at`, when given, is when the heartbeat
-- was written: a client that left at or after that stays OFFLINE (see heartbeat).
-- `connections`, when given, is how many connections `node` holds: on a transition to ONLINE
-- they are counted again (a node that was paused past the TTL lost them with the timeout).
-- (heartbeat_groups does the same for many members at once, in first_heartbeats, and marks a
-- `due` key instead of an `alive` key per member.)
local function refresh(P, maxlen, keep, client, deadline, now, reason, node, sent_at, connections)
  local index = P .. 'presence:deadlines'
  if redis.call('ZADD', index, 'GT', deadline, client) == 0 then
    -- Known and ONLINE: move the fast-path key along (an out-of-order older heartbeat may cut
    -- it short; the deadline in the index stands, and the sweep goes by that).
    redis.pcall('SET', P .. 'presence:alive:' .. client, node, 'PX', deadline - now)
    return 0
  end
  local status = redis.call('HGET', P .. 'presence:status', client)
  -- No status, no record: every write keeps the two together (a first heartbeat reads one key).
  local info = status and info_of(P, client) or {}
  if sent_at and status ~= 'ONLINE' and (info.since or -1) >= sent_at then
    redis.call('ZREM', index, client)
    return 0
  end
  redis.pcall('SET', P .. 'presence:alive:' .. client, node, 'PX', deadline - now)
  if status ~= 'ONLINE' then
    if connections and connections > 0 then
      -- Read once, written once; the record takes the live counts before the transition
      -- writes it (once).
      local all = conns_of(P, client, status ~= false)
      all[node] = connections
      write_conns(P, client, all)
      info.connections, info.nodes, info.counts = live_of(P, all, now)
    end
    transition(P, maxlen, keep, client, 'ONLINE', reason, node, now, info, status)
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

-- FCALL presence_heartbeats 0 P maxlen keep ttl_ms  client at_ms node ttl_ms connections  [...]
-- presence_heartbeat's successor: each heartbeat brings the TTL its writer meant (so nodes
-- with different periods never cut each other's clients short) and how many connections the
-- writing node holds; ttl_ms 0 (an entry without one: the seed's, redis-cli's) takes the
-- caller's, connections 0 says nothing.
local function heartbeats(keys, args)
  local P, maxlen, keep, default_ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local now = now_ms()
  local online = 0
  for i = 5, #args - 4, 5 do
    local client, at, node = args[i], tonumber(args[i + 1]), args[i + 2]
    local ttl = tonumber(args[i + 3]) or 0
    if ttl <= 0 then ttl = default_ttl end
    local deadline = at + ttl
    if deadline > now then
      online = online + refresh(P, maxlen, keep, client, deadline, now, 'heartbeat', node, at,
                                tonumber(args[i + 4]))
    end
  end
  return online
end

-- Deadlines share a `due` key per this many ms (so a sweep it starts may come up to this late).
local DUE_STEP = 20

-- FCALL presence_heartbeat_groups 0 P maxlen keep ttl_ms alive  at_ms node ttl_ms n  client
--       connections  [client connections ...n]  [at_ms node ttl_ms n ...]
-- presence_heartbeats' successor, for what our nodes write: one stream entry carries many
-- members (a group here: one time, node and TTL), a seed-style entry is a group of one. Same
-- meaning per heartbeat (ttl_ms 0: the caller's; connections 0: says nothing). The fast path to
-- OFFLINE is a `due` key per DUE_STEP ms of deadlines, not an `alive` key per member: a SET per
-- renewal was most of a renewal's cost, and the sweep that a due key's expiry starts finds the
-- members by the deadline index anyway. `alive` 0 leaves the due keys out too: only their
-- expiry event reads them, and while keyspace notifications are off nobody hears it.
-- Renewals (the member is ONLINE, so in the deadline index) go in bulk: one HMGET of the status
-- and one ZADD GT per chunk instead of a ZADD per member - most of a renewal's cost was the call
-- into Redis, not the work. (HMGET, not ZMSCORE: formatting and parsing back every score cost
-- more than the calls it saved.) The rest take refresh(), as before. Returns the ONLINE
-- transitions.
-- The members of one chunk of heartbeat_groups that were not ONLINE when it read their status
-- (`fresh`, indexes into `members`): what refresh() and transition() do for each, with every
-- read and write but the stream entries done once for the chunk (a first heartbeat was ~20 µs,
-- most of it Lua calling into Redis once per key). A member already in the deadline index
-- (one ONLINE by an earlier mention in this call: `added`) is renewed instead; one that left
-- at or after its heartbeat was sent stays OFFLINE. Returns the ONLINE transitions.
local function first_heartbeats(P, maxlen, members, groups, deadlines, deadline_args, nodes,
                                sent, args, conns_at, fresh, fresh_count, statuses, first, now,
                                mark_due, added, alive_nodes)
  local index = P .. 'presence:deadlines'
  -- Only a member with a status (OFFLINE) can have a record, connections or (against the
  -- index's rule, but then it is renewed) a deadline: every write keeps those with the status,
  -- and the rows trimmed past `keep` lose all. A drain's first heartbeats are mostly members
  -- new to Redis, and these three reads were a quarter of their Redis time (dictFind).
  local names, known, known_names, known_count = {}, {}, {}, 0
  for f = 1, fresh_count do
    names[f] = members[fresh[f]]
    if statuses[fresh[f] - first + 1] then
      known_count = known_count + 1
      known[f], known_names[known_count] = known_count, names[f]
    end
  end
  local scores, infos, conns = {}, {}, {}
  if known_count > 0 then
    scores = redis.call('ZMSCORE', index, unpack(known_names, 1, known_count))
    infos = redis.call('HMGET', P .. 'presence:info', unpack(known_names, 1, known_count))
    conns = redis.call('HMGET', P .. 'presence:conns', unpack(known_names, 1, known_count))
  end
  local renew, renewed, add, adds = {}, 0, {}, 0
  local now_arg = string.format('%d', now)
  local status_args, info_args, conns_args, offline_gone = {}, {}, {}, {}
  local online = 0
  for f = 1, fresh_count do
    local k = fresh[f]
    local g = groups[k]
    local client, deadline = names[f], deadlines[g]
    local slot = known[f]
    if (slot and scores[slot]) or added[client] then
      renew[renewed + 1], renew[renewed + 2] = deadline_args[g], client
      renewed = renewed + 2
      mark_due(deadline)
    else
      local status = statuses[k - first + 1]
      local info = status and decode_info(infos[slot]) or {}
      if (info.since or -1) < sent[g] then
        added[client] = true
        add[adds + 1], add[adds + 2] = deadline_args[g], client
        adds = adds + 2
        local connections = tonumber(args[conns_at[k]])
        if connections and connections > 0 then
          local all = decode_conns(P, client, slot and conns[slot], status ~= false)
          all[nodes[g]] = connections
          conns_args[#conns_args + 1], conns_args[#conns_args + 2] = client, cjson.encode(all)
          info.connections, info.nodes, info.counts = live_of(P, all, now, alive_nodes)
        end
        if status ~= false then offline_gone[#offline_gone + 1] = client end
        info.since, info.reason = now, 'heartbeat'
        status_args[#status_args + 1], status_args[#status_args + 2] = client, 'ONLINE'
        info_args[#info_args + 1], info_args[#info_args + 2] = client, cjson.encode(info)
        append_event(P, maxlen, client, 'ONLINE', 'heartbeat', nodes[g], now_arg)
        online = online + 1
        mark_due(deadline)
      end
    end
  end
  if renewed > 0 then redis.call('ZADD', index, 'GT', unpack(renew, 1, renewed)) end
  if adds > 0 then redis.call('ZADD', index, 'GT', unpack(add, 1, adds)) end
  if #status_args > 0 then
    redis.call('HSET', P .. 'presence:status', unpack(status_args))
    redis.call('HSET', P .. 'presence:info', unpack(info_args))
  end
  if #conns_args > 0 then redis.call('HSET', P .. 'presence:conns', unpack(conns_args)) end
  if #offline_gone > 0 then redis.call('ZREM', P .. 'presence:offline', unpack(offline_gone)) end
  return online
end

local function heartbeat_groups(keys, args)
  local P, maxlen, keep, default_ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local alive = args[5] ~= '0'
  local index, status_key = P .. 'presence:deadlines', P .. 'presence:status'
  local now = now_ms()
  local online = 0
  local marked, last_marked = {}, nil
  local function mark_due(deadline)
    if deadline == last_marked then return end -- a group's members share one deadline
    last_marked = deadline
    local at = math.ceil(deadline / DUE_STEP) * DUE_STEP
    if alive and not marked[at] then
      marked[at] = true
      redis.pcall('SET', P .. 'presence:due:' .. at, '1', 'PX', at - now)
    end
  end
  -- The live heartbeats, flattened: member, its group (deadline, node, at) and where its
  -- connections are in args (read only for the few that are not renewals). Counted, not `#`.
  local members, groups, conns_at = {}, {}, {}
  -- A group's deadline as redis.call's argument, formatted once: Redis formats a Lua number
  -- argument with "%.17g", a floating-point print that was 6 % of a drain's Redis time when it
  -- ran once per renewal. (%d is exact below 2^53; a junk TTL may push a deadline past it.)
  local deadlines, deadline_args, nodes, sent = {}, {}, {}, {}
  local count, group_count = 0, 0
  local i, nargs = 6, #args
  while i + 3 <= nargs do
    local at, node, ttl, n = tonumber(args[i]), args[i + 1], tonumber(args[i + 2]) or 0, tonumber(args[i + 3]) or 0
    if ttl <= 0 then ttl = default_ttl end
    local deadline = at + ttl
    i = i + 4
    if deadline > now then
      group_count = group_count + 1
      deadlines[group_count], nodes[group_count], sent[group_count] = deadline, node, at
      deadline_args[group_count] = deadline < 2 ^ 53 and string.format('%d', deadline) or deadline
      for j = i, math.min(i + 2 * n, nargs + 1) - 2, 2 do
        count = count + 1
        members[count], groups[count], conns_at[count] = args[j], group_count, j + 1
      end
    end
    i = i + 2 * n
  end
  local size = chunk / 2 -- ZADD takes two arguments per member
  local added, alive_nodes = {}, {}
  for first = 1, count, size do
    local last = math.min(first + size - 1, count)
    local statuses = redis.call('HMGET', status_key, unpack(members, first, last))
    local renew, renewed, fresh, fresh_count = {}, 0, {}, 0
    for k = first, last do
      if statuses[k - first + 1] == 'ONLINE' then
        local g = groups[k]
        local deadline = deadlines[g]
        renewed = renewed + 2
        renew[renewed - 1], renew[renewed] = deadline_args[g], members[k]
        if deadline ~= last_marked then mark_due(deadline) end
      else
        fresh_count = fresh_count + 1
        fresh[fresh_count] = k
      end
    end
    if renewed > 0 then redis.call('ZADD', index, 'GT', unpack(renew, 1, renewed)) end
    if fresh_count > 0 then
      online = online + first_heartbeats(P, maxlen, members, groups, deadlines, deadline_args,
                                         nodes, sent, args, conns_at, fresh, fresh_count,
                                         statuses, first, now, mark_due, added, alive_nodes)
    end
  end
  return online
end

-- FCALL presence_connect 0 P maxlen keep ttl_ms node client connections
-- This node now holds `connections` connections of the client (0: its last one closed here).
local function connect(keys, args)
  local P, maxlen, keep, ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local node, client, count = args[5], args[6], tonumber(args[7])
  local now = now_ms()
  local changed = 0
  set_conns(P, client, node, count)
  if count > 0 then
    changed = refresh(P, maxlen, keep, client, now + ttl, now, 'connected', node)
  end
  if redis.call('HGET', P .. 'presence:status', client) == 'ONLINE' then
    local info = info_of(P, client)
    info.connections, info.nodes, info.counts = live_connections(P, client, now)
    write_info(P, client, info)
  end
  return changed
end

-- FCALL presence_leave 0 P maxlen keep node client
-- The client's last connection on `node` closed and the grace period passed. OFFLINE "left"
-- only when no other live node holds a connection of it. Returns 1 on a transition.
local function leave(keys, args)
  local P, maxlen, keep, node, client = args[1], args[2], tonumber(args[3]), args[4], args[5]
  set_conns(P, client, node, 0)
  if redis.call('HGET', P .. 'presence:status', client) ~= 'ONLINE' then return 0 end
  local now = now_ms()
  local total, nodes, counts = live_connections(P, client, now)
  if total > 0 then
    local info = info_of(P, client)
    info.connections, info.nodes, info.counts = total, nodes, counts
    write_info(P, client, info)
    return 0
  end
  transition(P, maxlen, keep, client, 'OFFLINE', 'left', node, now)
  return 1
end

local function id_ms(id)
  return tonumber(string.match(id, '^(%d+)')) or 0
end

-- How far the heartbeat processors got: every heartbeat written before the returned time was
-- processed (its refresh is in the deadline index). A deadline that passed before then is
-- really missed; one that passed later may have a heartbeat waiting unread (processors behind,
-- or a batch in flight), so it waits - at most `patience` ms (processors gone, or behind by more
-- than the TTL, must not keep the dead ONLINE).
local function settled_until(P, now, patience)
  if patience <= 0 then return now end
  local stream = P .. 'heartbeat'
  if redis.call('EXISTS', stream) == 0 then return now end
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', stream)
  if not ok then return now end
  local upto = now
  for _, group in ipairs(groups) do
    local fields = {}
    for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
    if fields['name'] == 'presence-processors' then
      local unread = redis.call('XRANGE', stream, '(' .. fields['last-delivered-id'], '+', 'COUNT', 1)
      if #unread > 0 then upto = math.min(upto, id_ms(unread[1][1])) end
      if (tonumber(fields['pending']) or 0) > 0 then
        local summary = redis.call('XPENDING', stream, 'presence-processors')
        if type(summary[2]) == 'string' then upto = math.min(upto, id_ms(summary[2])) end
      end
    end
  end
  return math.max(upto, now - patience)
end

local function expire_one(P, maxlen, keep, client, now, node, cutoff)
  if redis.call('HGET', P .. 'presence:status', client) ~= 'ONLINE' then
    redis.call('ZREM', P .. 'presence:deadlines', client)
    return 0
  end
  local deadline = tonumber(redis.call('ZSCORE', P .. 'presence:deadlines', client))
  if deadline and deadline > (cutoff or now) then return 0 end -- refreshed, or may be soon
  if deadline then
    local timeouts = P .. 'presence:timeouts'
    redis.call('LPUSH', timeouts, now .. ':' .. math.max(now - deadline, 0))
    redis.call('LTRIM', timeouts, 0, 999)
  end
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

-- A call that runs after `not_after` (Redis' clock, ms) is stale: its node gave up waiting for
-- the reply (a hung Redis ran it on resume), reconnected, and holds its timeouts until the
-- heartbeats held meanwhile land; deadlines that passed during the hang are no evidence.
local function stale(now, not_after)
  return not_after ~= nil and now > not_after
end

-- FCALL presence_timeout 0 P maxlen keep node patience_ms [#not-after ms] client [client ...]
-- presence_expire that waits for lagging heartbeat processors (see settled_until). "#not-after"
-- can be no member (client ids and rooms never hold '#'): older nodes' calls read as before.
local function timeout(keys, args)
  local P, maxlen, keep, node = args[1], args[2], tonumber(args[3]), args[4]
  local now = now_ms()
  local first = 6
  if args[6] == '#not-after' then
    if stale(now, tonumber(args[7])) then return 0 end
    first = 8
  end
  local cutoff = settled_until(P, now, tonumber(args[5]) or 0)
  local offline = 0
  for i = first, #args do
    offline = offline + expire_one(P, maxlen, keep, args[i], now, node, cutoff)
  end
  return offline
end

-- FCALL presence_sweep 0 P maxlen keep node limit [patience_ms [not_after_ms]]
-- The reconciler: every client whose deadline passed goes OFFLINE "timeout", whether or not a
-- keyspace notification arrived (they are fire-and-forget, and late with many keys); with a
-- patience, not before the heartbeat processors have read past the deadline (settled_until);
-- past not_after nothing at all (see stale).
-- Returns {transitions, ms until the next deadline or -1}; a stale call {0, 0} (sweep again).
local function sweep(keys, args)
  local P, maxlen, keep, node, limit = args[1], args[2], tonumber(args[3]), args[4], tonumber(args[5])
  local now = now_ms()
  if stale(now, tonumber(args[7])) then return {0, 0} end
  local cutoff = settled_until(P, now, tonumber(args[6]) or 0)
  local due = redis.call('ZRANGEBYSCORE', P .. 'presence:deadlines', '-inf', cutoff, 'LIMIT', 0, limit)
  local offline = 0
  for _, client in ipairs(due) do
    offline = offline + expire_one(P, maxlen, keep, client, now, node, cutoff)
  end
  local next = redis.call('ZRANGE', P .. 'presence:deadlines', 0, 0, 'WITHSCORES')
  local wait = -1
  if #next == 2 then
    wait = math.max(tonumber(next[2]) - now, 0)
    if wait == 0 and #due < limit then wait = 20 end -- due, held back by the processors' lag
  end
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
      redis.pcall('SET', P .. 'presence:alive:' .. client, node, 'PX', ttl)
      write_info(P, client, {since = now, reason = 'restored', connections = 0})
      restored = restored + 1
    end
  end
  return restored
end

-- FCALL presence_alive 0 P node ttl_ms
-- The node is alive for ttl_ms more: its key (which decisions go by) and its entry in the
-- node index (which readers of the roster go by), in Redis' time. Entries dead for an hour go.
-- FCALL presence_alive 0 P node ttl_ms record_json: also the node's record (what the nodes view
-- shows), stamped with `seen` (now) and `ttl`; a record that is no JSON object is ignored.
local function alive(keys, args)
  local P, node, ttl = args[1], args[2], tonumber(args[3])
  local now = now_ms()
  local nodes, records = P .. 'presence:nodes', P .. 'presence:node-records'
  redis.pcall('SET', P .. 'presence:node:' .. node, '1', 'PX', ttl)
  redis.call('ZADD', nodes, now + ttl, node)
  if args[4] then
    local ok, record = pcall(cjson.decode, args[4])
    if ok and type(record) == 'table' then
      record.seen, record.ttl = now, ttl
      redis.call('HSET', records, node, cjson.encode(record))
    end
  end
  local gone = redis.call('ZRANGEBYSCORE', nodes, '-inf', now - 3600000, 'LIMIT', 0, chunk)
  if #gone > 0 then
    redis.call('ZREM', nodes, unpack(gone))
    redis.call('HDEL', records, unpack(gone))
  end
  return now
end

-- FCALL presence_live_nodes 0 P   (read-only) -> {now, node, node, ...}: the nodes alive now.
local function live_nodes(keys, args)
  local now = now_ms()
  local result = {now}
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', args[1] .. 'presence:nodes', '(' .. now, '+inf')) do
    result[#result + 1] = node
  end
  return result
end

-- FCALL presence_prune_consumers 0 P min_idle_ms
-- Consumers of the processors' group whose node is dead (its key gone), that hold no pending
-- entries (the living claimed them) and were idle at least min_idle_ms leave the group.
-- Returns how many left.
local function prune_consumers(keys, args)
  local P, min_idle = args[1], tonumber(args[2])
  local stream = P .. 'heartbeat'
  local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', stream, 'presence-processors')
  if not ok then return 0 end
  local pruned = 0
  local now = now_ms()
  for _, consumer in ipairs(consumers) do
    local fields = {}
    for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
    local name = fields['name']
    if name and tonumber(fields['pending']) == 0 and (tonumber(fields['idle']) or 0) >= min_idle
       and not node_alive(P, name, now) then
      redis.call('XGROUP', 'DELCONSUMER', stream, 'presence-processors', name)
      pruned = pruned + 1
    end
  end
  return pruned
end

-- FCALL_RO presence_diagnostics 5 heartbeat presence nodes node-records timeouts  group
-- What a node's diagnostics read needs, in one call: {now, XLEN heartbeat, XLEN presence,
-- {node, expires_ms, record, ...} over every node of the last hour, {consumer, pending, idle_ms,
-- alive 0|1, ...} of the processors' group, {"at:late", ...} the recent timeouts}.
local function diagnostics(keys, args)
  local now = now_ms()
  local nodes = {}
  local expiry = {}
  local flat = redis.call('ZRANGE', keys[3], 0, -1, 'WITHSCORES')
  for i = 1, #flat, 2 do
    expiry[flat[i]] = tonumber(flat[i + 1])
    nodes[#nodes + 1] = flat[i]
    nodes[#nodes + 1] = flat[i + 1]
    nodes[#nodes + 1] = redis.call('HGET', keys[4], flat[i]) or ''
  end
  local consumers = {}
  local ok, group = pcall(redis.call, 'XINFO', 'CONSUMERS', keys[1], args[1])
  if ok then
    for _, consumer in ipairs(group) do
      local fields = {}
      for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
      local name = fields['name']
      consumers[#consumers + 1] = name
      consumers[#consumers + 1] = fields['pending'] or 0
      consumers[#consumers + 1] = fields['idle'] or 0
      consumers[#consumers + 1] = ((expiry[name] or 0) > now) and 1 or 0
    end
  end
  return {now, redis.call('XLEN', keys[1]), redis.call('XLEN', keys[2]), nodes, consumers,
          redis.call('LRANGE', keys[5], 0, -1)}
end

local function version()
  return VERSION
end

-- An entry point that may write transitions: the stream they go to comes first (see the header).
local function writer(f)
  return function(keys, args)
    declared_stream = keys[1]
    return f(keys, args)
  end
end

redis.register_function('presence_heartbeat', writer(heartbeat))
redis.register_function('presence_heartbeats', writer(heartbeats))
redis.register_function('presence_heartbeat_groups', writer(heartbeat_groups))
redis.register_function('presence_connect', writer(connect))
redis.register_function('presence_leave', writer(leave))
redis.register_function('presence_expire', writer(expire))
redis.register_function('presence_timeout', writer(timeout))
redis.register_function('presence_sweep', writer(sweep))
redis.register_function('presence_restore', writer(restore))
redis.register_function('presence_alive', writer(alive))
redis.register_function{function_name = 'presence_live_nodes', callback = live_nodes,
                        flags = {'no-writes'}}
redis.register_function('presence_prune_consumers', prune_consumers)
redis.register_function{function_name = 'presence_diagnostics', callback = diagnostics,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'presence_version', callback = version,
                        flags = {'no-writes'}}
