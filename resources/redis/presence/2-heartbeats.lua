-- presence.lua, part 2 of 3: heartbeats (refresh, presence_heartbeat[s], presence_heartbeat_groups).
-- The parts are one library, joined in order at build time (cmake/AssembleLuaLibrary.cmake):
-- the locals of part 1 are in scope here.

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
--
-- FCALL presence_heartbeats 0 P maxlen keep ttl_ms  client at_ms node ttl_ms connections  [...]
-- presence_heartbeat's successor: each heartbeat brings the TTL its writer meant (so nodes
-- with different periods never cut each other's clients short) and how many connections the
-- writing node holds; ttl_ms 0 (an entry without one: the seed's, redis-cli's) takes the
-- caller's, connections 0 says nothing.
--
-- Both are one loop over heartbeats of `stride` arguments (3, or 5 with ttl and connections);
-- the first stays registered for nodes of earlier versions.
local function heartbeat_batch(args, stride)
  local P, maxlen, keep, default_ttl = args[1], args[2], tonumber(args[3]), tonumber(args[4])
  local now = now_ms()
  local online = 0
  for i = 5, #args - (stride - 1), stride do
    local client, at, node = args[i], tonumber(args[i + 1]), args[i + 2]
    local ttl, connections = 0, nil
    if stride == 5 then
      ttl, connections = tonumber(args[i + 3]) or 0, tonumber(args[i + 4])
    end
    if ttl <= 0 then ttl = default_ttl end
    local deadline = at + ttl
    if deadline > now then
      -- A heartbeat written before the client left (a node heartbeats what it holds, and the
      -- leave may be processed first) must not bring it back: only one sent after counts.
      online = online + refresh(P, maxlen, keep, client, deadline, now, 'heartbeat', node, at,
                                connections)
    end
  end
  return online
end

local function heartbeat(keys, args)
  return heartbeat_batch(args, 3)
end

local function heartbeats(keys, args)
  return heartbeat_batch(args, 5)
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
