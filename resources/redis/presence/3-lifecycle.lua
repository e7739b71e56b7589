-- presence.lua, part 3 of 3: connections, leaves, expiry, timeouts, the sweep, restore, node
-- liveness, diagnostics, and the registration of every function. Joined after parts 1 and 2
-- (cmake/AssembleLuaLibrary.cmake).

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
