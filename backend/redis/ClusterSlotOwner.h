#pragma once

#include "redis/ClusterSlotMap.h"
#include "redis/PrimaryLocator.h"

#include <optional>

namespace presence {

class RedisCluster;

// The primary that serves one slot of a Redis Cluster, from a RedisCluster's slot map: what a
// RedisConnection pinned to that slot connects to (a shard's blocking reads, its keyspace
// subscription, its commands), followed as the map changes (a failover, a migration).
// Before the map names an owner, locate() waits for one (the connection's connect timeout
// bounds the wait); every locate() also asks for a fresh map, since a connection that locates
// again has usually just lost the primary it had.
class ClusterSlotOwner final : public PrimaryLocator {
    Q_OBJECT
public:
    ClusterSlotOwner(RedisCluster &cluster, int slot, QObject *parent = nullptr);

    void locate(Found found) override;
    void cancel() override;
    void follow() override;
    QString describe(const RedisUrl &url, const RedisUrl &server) const override;
    QString notLocatedWithin(const RedisUrl &url, int ms) const override;
    QString movedAway(const QString &host, quint16 port) const override;
    void redirected() override;

    int slot() const { return m_slot; }

private:
    void mapChanged();
    bool answer();

    RedisCluster &m_cluster;
    int m_slot;
    Found m_found;
    bool m_following = false;
    std::optional<ClusterSlotMap::Address> m_owner; // the last one named
};

} // namespace presence
