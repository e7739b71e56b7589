// Presence downstream: XREAD BLOCK on the presence stream, whoever wrote the entry (this peer,
// our C++ nodes, redis-cli). Keeps the ONLINE roster of every room in memory, so a new session gets
// its roster and joins the room's channel in the same tick: nothing can slip in between.
import { DEFAULT_ROOM, isValidName } from './names.js';

export class Downstream {
  constructor({ config, keys, reader, commands, onEvent }) {
    this.config = config;
    this.keys = keys;
    this.reader = reader; // blocking XREAD
    this.commands = commands;
    this.onEvent = onEvent; // (event) => void, event = { id, client, status, at, room, reason }
    this.rosters = new Map(); // room → Map(client → { id, at })
    this.running = false;
  }

  roster(room) {
    return this.rosters.get(room) ?? new Map();
  }

  async start() {
    const stream = this.config.presenceStream;
    // Where the stream ends now, then the state: entries after `last` are replayed over the
    // snapshot (the same transitions again: harmless).
    const [newest] = await this.commands.xrevrange(stream, '+', '-', 'COUNT', 1);
    this.lastId = newest ? newest[0] : '0-0';
    for (const room of await this.commands.smembers(this.keys.rooms)) {
      const online = await this.commands.hgetall(this.keys.status(room));
      const roster = new Map();
      for (const [client, value] of Object.entries(online)) {
        const [id, at] = value.split(' ');
        roster.set(client, { id, at: Number(at) });
      }
      if (roster.size) this.rosters.set(room, roster);
    }
    this.running = true;
    this.loop = this.readLoop();
  }

  async stop() {
    this.running = false;
    this.reader.disconnect();
    await this.loop?.catch(() => {});
  }

  async readLoop() {
    const stream = this.config.presenceStream;
    while (this.running) {
      let reply;
      try {
        reply = await this.reader.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', stream, this.lastId);
      } catch (err) {
        if (!this.running) return;
        console.error(`[downstream] XREAD: ${err.message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!reply) continue;
      for (const [id, flat] of reply[0][1]) {
        this.lastId = id;
        const event = parseEntry(id, flat);
        if (event) this.apply(event);
      }
    }
  }

  apply(event) {
    const { room, client } = event;
    if (event.status === 'ONLINE') {
      if (!this.rosters.has(room)) this.rosters.set(room, new Map());
      this.rosters.get(room).set(client, { id: event.id, at: event.at });
    } else {
      this.rosters.get(room)?.delete(client);
    }
    this.onEvent(event);
  }
}

function parseEntry(id, flat) {
  const f = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]] = flat[i + 1];
  const room = f.room ?? DEFAULT_ROOM;
  if (!isValidName(f.client) || !isValidName(room) || (f.status !== 'ONLINE' && f.status !== 'OFFLINE')) return null;
  // Entries from writers that put no "at": the entry id's milliseconds.
  const at = /^\d+$/.test(f.at ?? '') ? Number(f.at) : Number(id.split('-')[0]);
  return { id, client: f.client, status: f.status, at, room, reason: f.reason };
}
