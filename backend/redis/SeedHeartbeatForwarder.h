#pragma once

#include "engine/PresenceEngine.h"
#include "redis/ClusterShards.h"
#include "redis/RedisConnection.h"
#include "redis/StreamEntries.h"

#include <QTimer>

namespace presence {

class RedisCluster;

// Redis Cluster: the seed's `heartbeat` stream has a slot of its own, and each shard's
// processors read the shard's stream ("{<tag>}:heartbeat", in the shard's slot, so the
// functions see its backlog). This reads `heartbeat` in a consumer group of its own
// ("presence-forwarders", one consumer per node: the nodes share the work) and writes every
// heartbeat to its room's shard — `redis-cli -c XADD heartbeat '*' client bob` still makes bob
// ONLINE in the default room — keeping the time it was first written (field `sent`), then
// acknowledges. At least once, like every consumer group: a forward that fails is not
// acknowledged and is claimed again (also a dead node's, after claimIdleMs). Junk entries are
// acknowledged and counted. Heartbeats older than maxAgeMs are dropped: they can change nothing.
class SeedHeartbeatForwarder final : public QObject {
    Q_OBJECT
public:
    SeedHeartbeatForwarder(const RedisUrl &seeds, RedisCluster &cluster, const ClusterShards &shards,
                           const QString &nodeId, QObject *parent = nullptr);
    ~SeedHeartbeatForwarder() override;

    void start();
    PresenceEngine::Health health() const;
    quint64 forwarded() const { return m_forwarded; }
    quint64 junkEntries() const { return m_junk; }

    static constexpr qint64 maxAgeMs = 60000;
    static constexpr int claimIdleMs = 5000;

private:
    void createGroup();
    void readNext();
    void forward(const QList<StreamEntry> &entries);
    void claimPending();

    RedisCluster &m_cluster;
    const ClusterShards &m_shards;
    QByteArray m_consumer;
    RedisConnection m_reader;   // blocking reads of `heartbeat`
    RedisConnection m_commands; // the group, acknowledgements, claims
    QTimer m_claimTimer;
    bool m_running = false;
    bool m_reading = false;
    quint64 m_forwarded = 0;
    quint64 m_junk = 0;
};

} // namespace presence
