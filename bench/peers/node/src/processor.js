// The presence processor: heartbeats in (consumer group on the heartbeat stream), transitions out
// (XADD presence). ONLINE on the first refresh (heartbeat.lua), OFFLINE when the alive key expires
// (keyspace notification → offline.lua) or when the last connection left (leave()).
import { DEFAULT_ROOM, isValidName } from './names.js';

const fieldsOf = (flat) => {
  const fields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
};

export class Processor {
  constructor({ config, keys, reader, commands, subscriber }) {
    this.config = config;
    this.keys = keys;
    this.reader = reader; // blocking XREADGROUP
    this.commands = commands; // auto-pipelined, scripts defined
    this.subscriber = subscriber;
    this.running = false;
    this.inFlight = new Set();
    this.stats = { heartbeats: 0, junk: 0, online: 0, offline: 0, failedBatches: 0 };
  }

  async start() {
    const { heartbeatStream, group } = this.config;
    try {
      // "$": history is not ours to replay; MKSTREAM so the group exists before any heartbeat.
      await this.commands.xgroup('CREATE', heartbeatStream, group, '$', 'MKSTREAM');
    } catch (err) {
      if (!String(err.message).startsWith('BUSYGROUP')) throw err;
    }
    await this.listenForExpiry();
    this.running = true;
    this.loop = this.readLoop();
    this.claimTimer = setInterval(() => this.claimStale().catch(() => {}), 30000);
  }

  async stop() {
    this.running = false;
    clearInterval(this.claimTimer);
    this.reader.disconnect(); // wakes the blocked XREADGROUP
    await Promise.allSettled([this.loop, ...this.inFlight]);
  }

  async readLoop() {
    const { heartbeatStream, group, nodeId, batch, window } = this.config;
    while (this.running) {
      let reply;
      try {
        reply = await this.reader.xreadgroup('GROUP', group, nodeId, 'COUNT', batch, 'BLOCK', 2000,
          'STREAMS', heartbeatStream, '>');
      } catch (err) {
        if (!this.running) return;
        console.error(`[processor] XREADGROUP: ${err.message}`);
        if (String(err.message).startsWith('NOGROUP')) await this.start().catch(() => {});
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!reply) continue;
      // Keep reading while earlier batches run: at most `window` batches in flight.
      const job = this.process(reply[0][1]).finally(() => this.inFlight.delete(job));
      this.inFlight.add(job);
      if (this.inFlight.size >= window) await Promise.race(this.inFlight);
    }
  }

  async process(entries) {
    const { heartbeatStream, presenceStream, group, ttlMs, presenceMaxLen } = this.config;
    const keys = [presenceStream, this.keys.rooms];
    const args = [ttlMs, Date.now(), presenceMaxLen];
    const ids = [];
    for (const [id, flat] of entries) {
      ids.push(id);
      if (!flat) continue; // deleted entry (claimed after XDEL)
      const { client, room = DEFAULT_ROOM } = fieldsOf(flat);
      if (!isValidName(client) || !isValidName(room)) {
        if (++this.stats.junk <= 10) console.error(`[processor] ignoring heartbeat ${id}: bad client or room`);
        continue;
      }
      keys.push(this.keys.alive(room, client), this.keys.status(room));
      args.push(client, room);
    }
    try {
      if (keys.length > 2) {
        this.stats.online += await this.commands.presenceHeartbeat(keys.length, ...keys, ...args);
        this.stats.heartbeats += (keys.length - 2) / 2;
      }
      await this.commands.xack(heartbeatStream, group, ...ids);
    } catch (err) {
      // Not acknowledged: the entries stay pending and claimStale() retries them.
      this.stats.failedBatches++;
      console.error(`[processor] heartbeat batch failed: ${err.message}`);
    }
  }

  // Entries a crashed (or slow) consumer left pending for 30 s are taken over.
  async claimStale() {
    const { heartbeatStream, group, nodeId, batch } = this.config;
    let cursor = '0-0';
    do {
      const [next, entries] = await this.commands.xautoclaim(heartbeatStream, group, nodeId, 30000, cursor,
        'COUNT', batch);
      if (entries.length) await this.process(entries);
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  async listenForExpiry() {
    // Expired events need E (keyevent) + x (expired); keep whatever flags others set.
    try {
      const [, flags = ''] = await this.commands.config('GET', 'notify-keyspace-events');
      const has = (c) => flags.includes(c) || (c === 'x' && flags.includes('A'));
      if (!has('E') || !has('x')) {
        await this.commands.config('SET', 'notify-keyspace-events', `${flags}${has('E') ? '' : 'E'}${has('x') ? '' : 'x'}`);
      }
    } catch (err) {
      console.error(`[processor] cannot enable keyspace notifications (${err.message}); set notify-keyspace-events Ex`);
    }
    const db = this.commands.options.db ?? 0;
    this.subscriber.on('message', (_channel, key) => {
      const pair = this.keys.parseAlive(key);
      if (pair) this.offline(pair.room, pair.client, 'expired', false);
    });
    await this.subscriber.subscribe(`__keyevent@${db}__:expired`);
  }

  offline(room, client, reason, force) {
    const { presenceStream, presenceMaxLen } = this.config;
    return this.commands
      .presenceOffline(presenceStream, this.keys.alive(room, client), this.keys.status(room), client, room, reason,
        Date.now(), presenceMaxLen, force ? '1' : '0')
      .then((id) => {
        if (id) this.stats.offline++;
        return id;
      })
      .catch((err) => console.error(`[processor] OFFLINE ${room}/${client}: ${err.message}`));
  }

  // The node's last connection of (room, client) closed and the grace passed.
  leave(room, client) {
    return this.offline(room, client, 'left', true);
  }
}
