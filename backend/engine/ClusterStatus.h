#pragma once

#include "engine/ProcessorBacklog.h"

#include <QList>
#include <QString>

namespace presence {

// A node of a Redis Cluster as CLUSTER SHARDS last described it.
struct ClusterNodeStatus {
    QString address;      // host:port this node reaches it at
    QString health;       // "online", "failed", "loading"
    qint64 lagBytes = -1; // a replica: its primary's replication offset minus its own
};

// A primary of the cluster: the slots it serves, how many presence shards fall in them, its
// key count (DBSIZE, every key, not only presence's) and its replicas.
struct ClusterPrimaryStatus {
    ClusterNodeStatus node;
    QString slots; // "0-5460" or "0-100, 5461-10922"
    int slotCount = 0;
    int firstSlot = 0; // primaries are listed by it
    int presenceShards = 0;
    qint64 keys = -1; // -1: not read yet
    QList<ClusterNodeStatus> replicas;
};

// One presence shard (docs/cluster.md): its hash tag and slot, the primary serving that slot,
// this node's connection to it, whether this node reads it and what it holds of the shard's
// roster, the shard's streams and processors' group as last read.
struct ClusterShardStatus {
    int index = 0;
    QString tag; // "{presence-3}"
    int slot = 0;
    QString primary; // empty: no primary serves the slot now
    QString state;   // this node's connection: "up", "connecting", "down", …
    bool read = false; // this node reads the shard's transitions (a reader here needs them)
    qint64 rooms = 0;
    qint64 online = 0;
    qint64 heartbeatStreamLength = -1;
    qint64 presenceStreamLength = -1;
    ProcessorBacklog processors;
};

// The cluster under a ClusterPresenceEngine; known false for every other engine.
struct ClusterStatus {
    bool known = false;
    int uncoveredSlots = 0; // slots no primary serves (0 on a healthy cluster)
    quint64 movedRedirects = 0;
    quint64 askRedirects = 0;
    quint64 retries = 0; // TRYAGAIN, CLUSTERDOWN
    QList<ClusterPrimaryStatus> primaries;
    QList<ClusterShardStatus> shards;
};

} // namespace presence
