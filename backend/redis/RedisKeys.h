#pragma once

#include <QByteArray>
#include <QList>

namespace presence {

// Every Redis key the platform touches, from one configurable prefix. The default prefix is
// empty, so the streams keep the seed's names `heartbeat` and `presence`. On Redis Cluster the
// prefix holds a shard's hash tag ("{presence-3}:"), and the default room's shard names the
// seed's `presence` stream instead (presenceStreamName), which hashes to the same slot.
// (resources/redis/presence/1-records.lua derives the same names; keep the two in step.)
struct RedisKeys {
    QByteArray prefix;
    QByteArray presenceStreamName = {}; // empty: prefix + "presence"

    QByteArray heartbeatStream() const { return prefix + "heartbeat"; }
    QByteArray presenceStream() const
    {
        return presenceStreamName.isEmpty() ? prefix + "presence" : presenceStreamName;
    }
    QByteArray status() const { return prefix + "presence:status"; }
    QByteArray info() const { return prefix + "presence:info"; }
    QByteArray deadlines() const { return prefix + "presence:deadlines"; }
    QByteArray offline() const { return prefix + "presence:offline"; }
    QByteArray conns() const { return prefix + "presence:conns"; }
    QByteArray alivePrefix() const { return prefix + "presence:alive:"; }
    QByteArray duePrefix() const { return prefix + "presence:due:"; }
    QByteArray node(const QByteArray &nodeId) const { return prefix + "presence:node:" + nodeId; }
    QByteArray nodes() const { return prefix + "presence:nodes"; }
    QByteArray nodeRecords() const { return prefix + "presence:node-records"; }
    QByteArray timeouts() const { return prefix + "presence:timeouts"; }
    QByteArray processorGroup() const { return QByteArrayLiteral("presence-processors"); }

    // The keys every function call declares (presence.lua's header), the presence stream first.
    QList<QByteArray> declared() const
    {
        return {presenceStream(), heartbeatStream(), status(),  info(),  deadlines(),
                offline(),        conns(),           nodes(),   nodeRecords(), timeouts()};
    }
    // FCALL <function> <n> <declared keys…> <prefix>: how every call of the library begins.
    QList<QByteArray> functionCall(const char *function, const char *fcall = "FCALL") const
    {
        const QList<QByteArray> keys = declared();
        QList<QByteArray> argv{fcall, function, QByteArray::number(keys.size())};
        argv += keys;
        argv.append(prefix);
        return argv;
    }
};

} // namespace presence
