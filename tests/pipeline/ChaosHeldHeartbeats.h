#pragma once

#include "ChaosRedis.h"

#include <QList>
#include <QString>

namespace presence::test {

// A heartbeat Redis handed a processor that has not acknowledged it yet.
struct HeldHeartbeat {
    QString member; // "room/client"
    qint64 writtenMs = 0;
    qint64 ttlMs = 0;
};

// The heartbeats the processor of node `consumer` ("chaos-<n>") holds unacknowledged in the
// heartbeat streams of `rooms` (each stream once; on a cluster, each room's shard's, asked of
// its primary). An entry that names no TTL gets `defaultTtlMs`.
QList<HeldHeartbeat> heartbeatsHeldBy(ChaosRedis &redis, const QByteArray &consumer,
                                      const QStringList &rooms, qint64 defaultTtlMs);

} // namespace presence::test
