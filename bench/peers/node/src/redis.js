// ioredis connections. Blocking reads (XREADGROUP, XREAD BLOCK) and the subscriber each need a
// connection of their own; everything else shares one with auto-pipelining, so commands issued in
// the same tick go out in one write.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

export function redisOptions(url) {
  if (url.startsWith('unix://')) {
    const u = new URL(url);
    return { path: decodeURIComponent(u.pathname), db: Number(u.searchParams.get('db') ?? 0) };
  }
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`--redis: redis://… or unix://… expected, not ${url}`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number(u.pathname.slice(1) || 0),
  };
}

export function connect(url, name, extra = {}) {
  const redis = new Redis({ ...redisOptions(url), connectionName: name, maxRetriesPerRequest: null, ...extra });
  redis.on('error', (err) => console.error(`[redis ${name}] ${err.message}`));
  return redis;
}

const lua = (file) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

// The two scripts as ioredis commands (EVALSHA, loaded on first use); the key count varies with
// the batch, so it is the first argument.
export function defineScripts(redis) {
  redis.defineCommand('presenceHeartbeat', { lua: lua('heartbeat.lua') });
  redis.defineCommand('presenceOffline', { lua: lua('offline.lua'), numberOfKeys: 3 });
  return redis;
}
