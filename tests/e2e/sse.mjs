// Small helpers around the `eventsource` package: a client that records every message
// event and lets a test wait, with a deadline, for the one it expects.
import { requireNodeModules } from './server.mjs';

requireNodeModules();
const { EventSource } = await import('eventsource');

export const DEADLINE_MS = 10_000;

/** Resolves with `promise`, or rejects after `ms` with a message naming what was awaited. */
export function within(promise, what, ms = DEADLINE_MS) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Opens `GET /{name}` (with `?room=` for each of `rooms`) with the eventsource package. `events` holds {data, lastEventId, raw}
 * for each message event in arrival order; `next(match)` resolves with the first recorded
 * event (from `from`, default: the start) that `match` accepts.
 */
export function connect(baseUrl, name, init = undefined, rooms = []) {
  const query = rooms.map((room) => `room=${encodeURIComponent(room)}`).join('&');
  const source = new EventSource(`${baseUrl}/${encodeURIComponent(name)}${query ? `?${query}` : ''}`, init);
  const events = [];
  const waiters = new Set();
  source.addEventListener('message', (message) => {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      data = { unparsable: message.data };
    }
    events.push({ data, lastEventId: message.lastEventId, raw: message.data });
    for (const waiter of waiters)
      waiter();
  });

  const client = {
    name,
    source,
    events,
    opened: new Promise((resolve) => source.addEventListener('open', resolve, { once: true })),
    next(match, what, from = 0) {
      let check;
      const found = new Promise((resolve) => {
        check = () => {
          const event = events.slice(from).find((e) => match(e.data));
          if (event)
            resolve(event);
        };
        waiters.add(check);
        check();
      });
      return within(found, `${name} to receive ${what}`).finally(() => waiters.delete(check));
    },
    /** Waits until this client was told that `who` is `status` (with `reason`, if given). */
    sees(who, status, reason = undefined, from = 0) {
      return client.next((d) => d.client === who && d.status === status && (!reason || d.reason === reason),
                         `${who} ${status}${reason ? ` (${reason})` : ''}`, from);
    },
    close() {
      source.close();
    },
  };
  return client;
}

/** Opens a client and waits for its `open` event. */
export async function online(baseUrl, name, init, rooms = []) {
  const client = connect(baseUrl, name, init, rooms);
  await within(client.opened, `${name} to open`);
  return client;
}
