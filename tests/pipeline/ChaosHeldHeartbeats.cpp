#include "ChaosHeldHeartbeats.h"

#include "ChaosViews.h"
#include "redis/StreamEntries.h"

#include <QSet>

namespace presence::test {

QList<HeldHeartbeat> heartbeatsHeldBy(ChaosRedis &redis, const QByteArray &consumer,
                                      const QStringList &rooms, qint64 defaultTtlMs)
{
    QList<HeldHeartbeat> held;
    QSet<QByteArray> streams;
    for (const QString &room : rooms) {
        const RedisKeys keys = redis.keysOf(room);
        const QByteArray stream = keys.heartbeatStream();
        if (streams.contains(stream))
            continue;
        streams.insert(stream);
        const RedisReply pending =
            redis.ask({"XPENDING", stream, keys.processorGroup(), "-", "+", "100", consumer});
        for (const RedisReply &entry : pending.elements()) {
            const QByteArray id = entry.elements().value(0).toByteArray();
            const auto read = parseStreamEntries(redis.ask({"XRANGE", stream, id, id}));
            if (read.isEmpty())
                continue;
            // One entry, one or many members (a node writes many-member entries).
            const auto group = parseHeartbeatGroup(read.first());
            if (!group)
                continue;
            for (const HeartbeatGroup::Member &m : group->members) {
                const QString name = QString::fromUtf8(m.name);
                held.append({name.contains(u'/') ? name : QStringLiteral("default/") + name,
                             idMs(id), group->ttlMs > 0 ? group->ttlMs : defaultTtlMs});
            }
        }
    }
    return held;
}

} // namespace presence::test
