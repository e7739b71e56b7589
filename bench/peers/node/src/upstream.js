// Heartbeat upstream: every d, one XADD per (client, room) this node holds, all in one pipeline.
// A pair seen for the first time gets a heartbeat at once, so it goes ONLINE without waiting for
// the next tick.
import { DEFAULT_ROOM } from './names.js';

export class Upstream {
  constructor({ config, commands, held }) {
    this.config = config;
    this.commands = commands;
    this.held = held; // () => iterable of { room, client }
  }

  start() {
    this.timer = setInterval(() => this.beat(this.held()), this.config.heartbeatMs);
  }

  stop() {
    clearInterval(this.timer);
  }

  beat(pairs) {
    const { heartbeatStream, heartbeatMaxLen, nodeId } = this.config;
    const pipeline = this.commands.pipeline();
    let n = 0;
    for (const { room, client } of pairs) {
      const fields = ['client', client, 'node', nodeId];
      if (room !== DEFAULT_ROOM) fields.push('room', room);
      pipeline.xadd(heartbeatStream, 'MAXLEN', '~', heartbeatMaxLen, '*', ...fields);
      n++;
    }
    if (n) pipeline.exec().catch((err) => console.error(`[upstream] heartbeats: ${err.message}`));
  }
}
