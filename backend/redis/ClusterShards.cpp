#include "redis/ClusterShards.h"

#include "redis/ClusterKeySlot.h"

#include <QCryptographicHash>
#include <algorithm>

namespace presence {

ClusterShards::ClusterShards(int count)
{
    count = qBound(1, count, clusterSlotCount);
    m_tags.append(QByteArrayLiteral("presence"));
    m_slots.append(clusterKeySlot("presence"));
    // The room shards 1 … count-1 take one of count-1 equal parts each (the default room's
    // slot is fixed wherever "presence" hashes): 16 shards over three primaries are 5/5/6.
    const int parts = std::max(count - 1, 1);
    for (int shard = 1; shard < count; ++shard) {
        const int first = int(qint64(shard - 1) * clusterSlotCount / parts);
        const int end = int(qint64(shard) * clusterSlotCount / parts);
        for (int n = 0;; ++n) { // ends: CRC16 reaches every part within a few thousand tries
            const QByteArray tag = "presence-" + QByteArray::number(n);
            const int slot = clusterKeySlot(tag);
            if (slot >= first && slot < end) {
                m_tags.append(tag);
                m_slots.append(slot);
                break;
            }
        }
    }
}

int ClusterShards::shardOf(const RoomName &room) const
{
    if (room.isDefault() || m_tags.size() == 1)
        return 0;
    // A stable hash (not qHash, which is seeded per process): every node must agree.
    const QByteArray digest =
        QCryptographicHash::hash(room.toString().toUtf8(), QCryptographicHash::Sha1);
    const quint32 value = (quint32(quint8(digest[0])) << 24) | (quint32(quint8(digest[1])) << 16) |
                          (quint32(quint8(digest[2])) << 8) | quint32(quint8(digest[3]));
    return 1 + int(value % quint32(m_tags.size() - 1));
}

QMap<QString, int> ClusterShards::perPrimary(const ClusterSlotMap &map) const
{
    QMap<QString, int> counts;
    for (const RedisUrl::HostPort &primary : map.primaries())
        counts.insert(clusterNodeName(primary), 0);
    for (const int slot : m_slots) {
        if (const auto primary = map.primaryFor(slot))
            ++counts[clusterNodeName(*primary)];
    }
    return counts;
}

} // namespace presence
