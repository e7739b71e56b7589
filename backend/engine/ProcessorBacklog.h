#pragma once

#include <QtGlobal>

namespace presence {

// How far the heartbeat processors are behind, as the store reports it (a Redis consumer
// group's XINFO GROUPS): a value type that /metrics, /health and the dashboard render alike.
// A processor behind by less than the TTL times no one out (see presence_sweep); past that,
// heartbeats go unanswered and clients time out, so `behindMs` against the TTL is the alarm.
struct ProcessorBacklog {
    bool known = false;   // false: no store with processors (memory engine), or not read yet
    qint64 lag = 0;       // entries written and not yet delivered to any processor; -1: the
                          // store cannot tell (unread entries were trimmed: clients lost)
    qint64 pending = 0;   // delivered and not yet acknowledged (in flight, or a dead node's)
    qint64 consumers = 0; // processors in the group, dead ones until they are pruned
    qint64 behindMs = 0;  // age of the oldest undelivered entry (0: caught up)
};

} // namespace presence
