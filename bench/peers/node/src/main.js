#!/usr/bin/env node
// presence-peer: the presence contract (SSE GET /{client}, Redis streams heartbeat/presence) in
// Node.js with better-sse and ioredis. See ../README.md.
import { loadConfig } from './config.js';
import { Downstream } from './downstream.js';
import { Keys } from './names.js';
import { Processor } from './processor.js';
import { connect, defineScripts } from './redis.js';
import { SseServer } from './sse.js';
import { Upstream } from './upstream.js';

const config = loadConfig();
const keys = new Keys(config.keyPrefix);
const commands = defineScripts(connect(config.redis, 'peer-commands', { enableAutoPipelining: true }));
const heartbeatReader = connect(config.redis, 'peer-heartbeats');
const presenceReader = connect(config.redis, 'peer-presence');
const subscriber = connect(config.redis, 'peer-expired');

const processor = new Processor({ config, keys, reader: heartbeatReader, commands, subscriber });
let sse;
const downstream = new Downstream({ config, keys, reader: presenceReader, commands, onEvent: (e) => sse.broadcast(e) });
const upstream = new Upstream({ config, commands, held: () => sse.held() });
sse = new SseServer({
  config,
  downstream,
  onFirst: (room, client) => upstream.beat([{ room, client }]),
  onLeft: (room, client) => processor.leave(room, client),
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`${signal}: stopping`);
  upstream.stop();
  sse.close();
  await Promise.allSettled([processor.stop(), downstream.stop()]);
  for (const r of [commands, subscriber]) r.disconnect();
  process.exit(0);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  await processor.start();
  await downstream.start();
  upstream.start();
  const port = await sse.listen();
  console.error(`listening on http://${config.host}:${port} (node ${config.nodeId}, heartbeat ${config.heartbeatMs} ms, ` +
    `TTL ${config.ttlMs} ms, redis ${config.redis})`);
} catch (err) {
  console.error(`presence-peer: ${err.message}`);
  process.exit(1);
}
