#pragma once

#include "model/RoomName.h"
#include "redis/ClusterShards.h"

#include <QString>

namespace presence::test {

// The first room name `prefix` + N that the node's shard map puts in `shard` (the test picks
// rooms by where their keys live); empty if none of the first 100,000 does.
inline QString roomInShard(const ClusterShards &shards, int shard, const QString &prefix)
{
    for (int n = 0; n < 100000; ++n) {
        const QString name = prefix + QString::number(n);
        if (shards.shardOf(*RoomName::fromString(name)) == shard)
            return name;
    }
    return {};
}

} // namespace presence::test
