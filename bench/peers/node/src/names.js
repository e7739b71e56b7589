// Client and room names, and the peer's own Redis keys.
const NAME = /^[A-Za-z0-9._\-:@]{1,128}$/;
export const DEFAULT_ROOM = 'default';

export const isValidName = (text) => typeof text === 'string' && NAME.test(text);

// '/' is in neither alphabet, so "<room>/<client>" is unambiguous.
export const pairKey = (room, client) => `${room}/${client}`;
export function splitPair(text) {
  const slash = text.indexOf('/');
  return slash < 0 ? null : { room: text.slice(0, slash), client: text.slice(slash + 1) };
}

export class Keys {
  constructor(prefix) {
    this.prefix = prefix;
    this.alivePrefix = `${prefix}alive:`;
    this.rooms = `${prefix}rooms`; // set of rooms that ever had an ONLINE client
  }
  // Exists while (room, client) is heartbeating; its expiry is the OFFLINE signal.
  alive(room, client) {
    return this.alivePrefix + pairKey(room, client);
  }
  // Hash client → "<presence entry id> <at ms>" of the clients ONLINE in the room.
  status(room) {
    return `${this.prefix}status:${room}`;
  }
  parseAlive(key) {
    return key.startsWith(this.alivePrefix) ? splitPair(key.slice(this.alivePrefix.length)) : null;
  }
}

// The JSON an SSE client receives; "room" only outside the default room.
export function eventJson({ client, status, at, room, reason }) {
  const data = { client, status, at };
  if (room !== DEFAULT_ROOM) data.room = room;
  if (reason) data.reason = reason;
  return data;
}
