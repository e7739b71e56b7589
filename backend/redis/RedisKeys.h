#pragma once

#include <QByteArray>

namespace presence {

// Every Redis key the platform touches, from one configurable prefix. The default prefix is
// empty, so the streams keep the seed's names `heartbeat` and `presence`.
// (resources/redis/presence.lua derives the same names; keep the two in step.)
struct RedisKeys {
    QByteArray prefix;

    QByteArray heartbeatStream() const { return prefix + "heartbeat"; }
    QByteArray presenceStream() const { return prefix + "presence"; }
    QByteArray status() const { return prefix + "presence:status"; }
    QByteArray info() const { return prefix + "presence:info"; }
    QByteArray deadlines() const { return prefix + "presence:deadlines"; }
    QByteArray alivePrefix() const { return prefix + "presence:alive:"; }
    QByteArray duePrefix() const { return prefix + "presence:due:"; }
    QByteArray node(const QByteArray &nodeId) const { return prefix + "presence:node:" + nodeId; }
    QByteArray nodes() const { return prefix + "presence:nodes"; }
    QByteArray nodeRecords() const { return prefix + "presence:node-records"; }
    QByteArray timeouts() const { return prefix + "presence:timeouts"; }
    QByteArray processorGroup() const { return QByteArrayLiteral("presence-processors"); }
};

} // namespace presence
