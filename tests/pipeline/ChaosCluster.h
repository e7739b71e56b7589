#pragma once

#include "RedisClusterGroup.h"
#include "redis/ClusterShards.h"
#include "redis/RedisKeys.h"
#include "redis/RedisReply.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QStringList>

namespace presence::test {

// tst_chaos's Redis Cluster (see ChaosRedis): three primaries with a replica each, node timeout
// 1 s. Its fault is a kill -9 of a primary drawn at random; once its replica took the slots
// over (the cluster healthy again), the killed node comes back on its port with its nodes.conf,
// empty, and rejoins as the promoted node's replica, so that the next kill has a replica to
// promote. A kill is drawn only while the cluster is healthy and every primary has an in-sync
// replica. Every call returns false with errorString() on a failure of the test's own setup.
class ChaosCluster {
public:
    ChaosCluster();

    bool start();
    QString errorString() const { return m_error; }

    // Every node as a seed: a live one is always among them.
    QString nodeUrl() const { return m_group.allNodesText(); }
    // One command on the primary serving the slot of argv[1] (its key), asked now; an Error
    // reply when no primary serves it (a failover under way) or none answered.
    RedisReply ask(const QList<QByteArray> &argv, int timeoutMs);
    // A room's keys: its shard's, as ClusterPresenceEngine names them.
    RedisKeys keysOf(const QString &room) const;
    // Prints which primary serves each room's shard; false if they are all on one.
    bool describeRooms(const QStringList &rooms);

    bool killPrimary(QRandomGenerator &random, bool *killed);
    bool advance();
    bool failoverUnderWay() const { return m_phase != Phase::Idle; }

    int primaryKills() const { return m_primaryKills; }
    // Primaries replaced without a kill (noticed while idle).
    int unplannedFailovers() const { return m_unplannedFailovers; }
    qint64 slowestPromotionMs() const { return m_slowestPromotionMs; }
    qint64 fastestPromotionMs() const { return m_fastestPromotionMs; }
    // The kills, promotions and rejoins: (ms since the epoch, what), for failure reports.
    using Timeline = QList<std::pair<qint64, QString>>;
    const Timeline &timeline() const { return m_timeline; }

private:
    enum class Phase { Idle, Promoting, Resyncing };
    bool fail(const QString &why);
    // Healthy, and every primary has a replica in sync with it.
    bool readyForKill();
    void mark(const QString &what);

    RedisClusterGroup m_group;
    ClusterShards m_shards;
    Phase m_phase = Phase::Idle;
    QList<quint16> m_primaries; // as last seen while idle
    quint16 m_killed = 0, m_promoting = 0;
    int m_killedSlot = -1; // a slot the killed primary served
    QElapsedTimer m_sinceKill;
    Timeline m_timeline;
    int m_primaryKills = 0, m_unplannedFailovers = 0;
    qint64 m_slowestPromotionMs = -1, m_fastestPromotionMs = -1;
    QString m_error;
};

} // namespace presence::test
