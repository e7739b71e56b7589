// The SSE side: GET /{client}[?room=R…] → a better-sse Session; one Channel per room. A new
// session first gets the room's roster (one batched write), then is registered with the room's
// channel, in the same tick. The node counts its connections per (room, client) for the heartbeat
// upstream and for "left".
import { createServer } from 'node:http';
import { createChannel, createEventBuffer, createSession } from 'better-sse';
import { DEFAULT_ROOM, eventJson, isValidName, pairKey } from './names.js';

export class SseServer {
  constructor({ config, downstream, onFirst, onLeft }) {
    this.config = config;
    this.downstream = downstream;
    this.onFirst = onFirst; // (room, client): first local connection of the pair
    this.onLeft = onLeft; // (room, client): last one closed, grace passed
    this.channels = new Map(); // room → Channel
    this.local = new Map(); // "room/client" → { room, client, connections, graceTimer }
    this.sessions = new Set();
    this.http = createServer((req, res) => this.handle(req, res).catch((err) => this.fail(res, err)));
  }

  listen() {
    // Keep-alive: one pass over every session per period (better-sse's default 10 s), instead of
    // better-sse's timer per session; the same bytes, one timer, all comments in one burst.
    const keepalive = createEventBuffer().comment().dispatch();
    this.keepaliveTimer = setInterval(() => {
      for (const session of this.sessions) session.batch(keepalive);
    }, this.config.keepaliveMs);
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.config.host, port: this.config.port, backlog: 4096 }, () => {
        resolve(this.http.address().port);
      });
    });
  }

  close() {
    clearInterval(this.keepaliveTimer);
    this.http.close();
    this.http.closeAllConnections();
  }

  // The pairs this node holds (for the heartbeat upstream), including those in their grace.
  *held() {
    yield* this.local.values();
  }

  channel(room) {
    let channel = this.channels.get(room);
    if (!channel) {
      channel = createChannel();
      channel.on('session-deregistered', () => {
        if (channel.sessionCount === 0) this.channels.delete(room);
      });
      this.channels.set(room, channel);
    }
    return channel;
  }

  // A presence change from the downstream: to the room's sessions, except the client's own.
  broadcast(event) {
    const channel = this.channels.get(event.room);
    if (!channel) return;
    channel.broadcast(eventJson(event), 'message', {
      eventId: event.id,
      filter: (session) => session.state.client !== event.client,
    });
  }

  async handle(req, res) {
    const url = new URL(req.url, 'http://peer');
    if (req.method !== 'GET') return this.reply(res, 405, 'method not allowed\n');
    if (url.pathname === '/health') return this.reply(res, 200, 'ok\n');
    let client;
    try {
      client = decodeURIComponent(url.pathname.slice(1));
    } catch {
      client = '';
    }
    if (url.pathname === '/' || client.includes('/')) return this.reply(res, 404, 'not found\n');
    const asked = url.searchParams.getAll('room');
    if (!isValidName(client) || !asked.every(isValidName)) {
      return this.reply(res, 400, 'client and room names: 1-128 of letters, digits and ._-:@\n');
    }
    const rooms = asked.length ? [...new Set(asked)] : [DEFAULT_ROOM];

    const session = await createSession(req, res, { state: { client }, keepAlive: null });
    // Roster: one event per ONLINE other client of each room, in one write, then the channels,
    // with no await in between (the downstream cannot run in the gap).
    const buffer = createEventBuffer();
    for (const room of rooms) {
      for (const [other, { id, at }] of this.downstream.roster(room)) {
        if (other !== client) buffer.push(eventJson({ client: other, status: 'ONLINE', at, room }), 'message', id);
      }
    }
    session.batch(buffer);
    for (const room of rooms) {
      this.channel(room).register(session);
      this.opened(room, client);
    }
    this.sessions.add(session);
    session.once('disconnected', () => {
      this.sessions.delete(session);
      for (const room of rooms) this.closed(room, client);
    });
  }

  opened(room, client) {
    const key = pairKey(room, client);
    const pair = this.local.get(key);
    if (pair) {
      pair.connections++;
      clearTimeout(pair.graceTimer);
      pair.graceTimer = undefined;
      return;
    }
    this.local.set(key, { room, client, connections: 1, graceTimer: undefined });
    this.onFirst(room, client);
  }

  closed(room, client) {
    const key = pairKey(room, client);
    const pair = this.local.get(key);
    if (!pair || --pair.connections > 0) return;
    pair.graceTimer = setTimeout(() => {
      this.local.delete(key);
      this.onLeft(room, client);
    }, this.config.graceMs);
  }

  reply(res, status, text) {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
  }

  fail(res, err) {
    console.error(`[sse] ${err.message}`);
    if (!res.headersSent) this.reply(res, 500, 'internal error\n');
    else res.destroy();
  }
}
