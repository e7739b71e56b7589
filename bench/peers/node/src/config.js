// Options from the command line or the environment (PEER_<NAME>, e.g. PEER_REDIS); the command
// line wins. Durations take "250ms", "5s" or a plain number of milliseconds.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

const USAGE = `presence-peer [options]
  --host HOST           listen address (default 127.0.0.1)
  --port N              listen port (default 8080; 0 picks a free one and logs it)
  --redis URL           redis://[user:pass@]host:port[/db] or unix:///path/to.sock (default redis://127.0.0.1:6379)
  --heartbeat DURATION  heartbeat period d (default 5s)
  --ttl-factor X        a client's key lives X·d after its last heartbeat (default 1.5)
  --keepalive DURATION  an SSE comment to every session this often (default 10s)
  --grace DURATION      how long a client with no open connection stays ONLINE (default 2s)
  --node-id NAME        default host:pid (also the consumer name in the group)
  --group NAME          consumer group on the heartbeat stream (default presence-peer)
  --key-prefix P        prefix of the peer's own keys (default peer:)
Environment: PEER_HOST, PEER_PORT, PEER_REDIS (or REDIS_URL), PEER_HEARTBEAT, …`;

export function parseDuration(text, name) {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(String(text).trim());
  if (!m) throw new Error(`${name}: not a duration: ${text}`);
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

export function loadConfig(argv = process.argv.slice(2), env = process.env) {
  const names = ['host', 'port', 'redis', 'heartbeat', 'ttl-factor', 'grace', 'keepalive', 'node-id', 'group', 'key-prefix'];
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries([...names.map((n) => [n, { type: 'string' }]), ['help', { type: 'boolean' }]]),
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const get = (name, fallback) =>
    values[name] ?? env[`PEER_${name.toUpperCase().replace('-', '_')}`] ?? fallback;
  const heartbeatMs = parseDuration(get('heartbeat', '5s'), '--heartbeat');
  const ttlFactor = Number(get('ttl-factor', '1.5'));
  const port = Number(get('port', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: ${port}`);
  if (!(heartbeatMs > 0) || !(ttlFactor > 1)) throw new Error('--heartbeat must be > 0 and --ttl-factor > 1');
  return {
    host: get('host', '127.0.0.1'),
    port,
    redis: get('redis', env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
    heartbeatMs,
    ttlMs: Math.round(heartbeatMs * ttlFactor),
    graceMs: parseDuration(get('grace', '2s'), '--grace'),
    keepaliveMs: parseDuration(get('keepalive', '10s'), '--keepalive'),
    nodeId: get('node-id', `${hostname()}:${process.pid}`),
    group: get('group', 'presence-peer'),
    keyPrefix: get('key-prefix', 'peer:'),
    // The contract's stream names (shared with our C++ nodes and anything else).
    heartbeatStream: 'heartbeat',
    presenceStream: 'presence',
    heartbeatMaxLen: 100000, // approximate caps (XADD MAXLEN ~), as our nodes use
    presenceMaxLen: 100000,
    batch: 1000, // heartbeats per XREADGROUP
    window: 4, // batches in flight in the processor
  };
}
