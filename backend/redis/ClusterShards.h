#pragma once

#include "model/RoomName.h"
#include "redis/ClusterSlotMap.h"

#include <QByteArray>
#include <QList>
#include <QMap>

namespace presence {

// Presence sharded by room over a Redis Cluster (issue 14's key layout): a room's members,
// deadlines and transitions live under one hash tag, so one function call touches one slot
// and a room keeps one order. Shard 0 is the default room's and its tag is "presence": its
// keys ("{presence}:status", …) share a slot with the seed's `presence` stream, so default-room
// transitions still reach readers of `presence`. The other rooms are spread over shards
// 1…count-1 by a hash of the room's name.
//
// The shards' tags are chosen so their slots are spread evenly over the slot range: room shard
// i (1 … count-1) has the first "presence-<n>" whose slot falls in the i-th of count-1 equal
// parts of the range (the default room's slot is where "presence" hashes: 15,428). A cluster made by redis-cli gives each primary one contiguous part, so the shards
// spread evenly over the primaries too (naive tags "{0}", "{1}", … do not: their slots
// cluster); perPrimary() says how they spread on the cluster as it is now.
class ClusterShards {
public:
    explicit ClusterShards(int count);

    int count() const { return int(m_tags.size()); }
    // The hash tag's content, e.g. "presence" for shard 0; keys are "{<tag>}:<name>".
    const QByteArray &tag(int shard) const { return m_tags.at(shard); }
    int slot(int shard) const { return m_slots.at(shard); }
    int shardOf(const RoomName &room) const;
    // How many shards each primary serves under `map` (primaries serving none included).
    QMap<QString, int> perPrimary(const ClusterSlotMap &map) const;

private:
    QList<QByteArray> m_tags;
    QList<int> m_slots;
};

} // namespace presence
