#pragma once

#include "ChaosCluster.h"
#include "RedisTestServer.h"
#include "SentinelGroup.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <memory>

namespace presence::test {

// The Redis tst_chaos runs its nodes against, and the faults it draws there:
//   - one redis-server: restarted empty, or hung past the reply deadline (SIGSTOP);
//   - a Sentinel group (the nodes on redis-sentinel://…#MASTER): the primary killed with -9;
//     once the Sentinels promoted the replica, the killed one comes back, empty, as the new
//     primary's replica, so that the next kill has a replica to promote. A kill is drawn only
//     when the replica is ready (in sync, listed healthy by every Sentinel);
//   - a Redis Cluster (the nodes on every cluster node as a seed; see ChaosCluster): a primary
//     drawn at random killed with -9, the same phases.
// Every call returns false with errorString() on a failure of the test's own setup.
class ChaosRedis {
public:
    enum class Kind { Single, Sentinel, Cluster };
    explicit ChaosRedis(Kind kind);

    bool start();
    QString errorString() const { return m_error; }
    Kind kind() const { return m_kind; }
    const char *kindName() const;
    // Whether the Redis fault is a kill -9 of a primary (Sentinel, Cluster).
    bool killsPrimaries() const { return m_kind != Kind::Single; }

    // What --redis gets.
    QString nodeUrl() const;
    // The test's own look into Redis: one command, its reply (an Error one on a timeout). It
    // follows a failover as the nodes do; on a cluster it goes to the primary serving the slot
    // of argv[1], the command's key.
    RedisReply ask(const QList<QByteArray> &argv, int timeoutMs = 1000);
    // The keys of a room's presence: one set for a single Redis or a Sentinel group, its
    // shard's on a cluster.
    RedisKeys keysOf(const QString &room) const;
    // Prints which primary serves each room (a cluster; true for the others); false when the
    // rooms are all on one primary.
    bool describeRooms(const QStringList &rooms);

    // One fault, drawn with `random` (a Sentinel kill is skipped while the group cannot fail
    // over: the previous failover still under way).
    bool injectFault(QRandomGenerator &random);
    // A kill -9 of the primary (a cluster's: one drawn with `random`) now; *killed false (and
    // no error) when the group is not ready for one.
    bool killPrimary(QRandomGenerator &random, bool *killed);
    // Drives a failover under way one step on (call it often): the promotion noticed, the
    // killed primary restarted as a replica, that replica ready.
    bool advance();
    // Waits (driving it) until no failover is under way.
    bool settle(int timeoutMs);
    bool failoverUnderWay() const;

    int faults() const { return m_restarts + m_pauses + primaryKills() + unplannedFailovers(); }
    int restarts() const { return m_restarts; }
    int pauses() const { return m_pauses; }
    int primaryKills() const;
    // Failovers the Sentinels (the cluster) made without a kill.
    int unplannedFailovers() const;
    // From kill -9 to every Sentinel naming the promoted replica (on a cluster: to the replica
    // serving the slots and the cluster healthy), as often as advance() looks.
    qint64 slowestPromotionMs() const;
    qint64 fastestPromotionMs() const;
    // A cluster's kills, promotions and rejoins (empty for the others).
    ChaosCluster::Timeline clusterTimeline() const;

private:
    enum class Phase { Idle, Promoting, Resyncing };
    bool fail(const QString &why);

    Kind m_kind;
    RedisTestServer m_server;
    std::unique_ptr<SentinelGroup> m_group;
    std::unique_ptr<ChaosCluster> m_cluster;
    std::unique_ptr<RedisConnection> m_inspector; // a single Redis or a Sentinel group's
    Phase m_phase = Phase::Idle;
    quint16 m_promoting = 0; // the replica's port while its promotion is awaited
    QElapsedTimer m_sinceKill;
    int m_restarts = 0, m_pauses = 0, m_primaryKills = 0, m_unplannedFailovers = 0;
    qint64 m_slowestPromotionMs = -1, m_fastestPromotionMs = -1;
    QString m_error;
};

} // namespace presence::test
