#pragma once

#include "RedisTestServer.h"
#include "SentinelGroup.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <memory>

namespace presence::test {

// The Redis tst_chaos runs its nodes against, and the faults it draws there:
//   - one redis-server: restarted empty, or hung past the reply deadline (SIGSTOP);
//   - a Sentinel group (the nodes on redis-sentinel://…#MASTER): the primary killed with -9;
//     once the Sentinels promoted the replica, the killed one comes back, empty, as the new
//     primary's replica, so that the next kill has a replica to promote. A kill is drawn only
//     when the replica is ready (in sync, listed healthy by every Sentinel).
// Every call returns false with errorString() on a failure of the test's own setup.
class ChaosRedis {
public:
    enum class Kind { Single, Sentinel };
    explicit ChaosRedis(Kind kind);

    bool start();
    QString errorString() const { return m_error; }
    Kind kind() const { return m_kind; }

    // What --redis gets, and what the test's own look into Redis connects to (it follows a
    // failover as the nodes do).
    QString nodeUrl() const;
    RedisUrl inspectorUrl() const;

    // One fault, drawn with `random` (a Sentinel kill is skipped while the group cannot fail
    // over: the previous failover still under way).
    bool injectFault(QRandomGenerator &random);
    // A kill -9 of the primary now; false (and no error) when the group is not ready for one.
    bool killPrimary(bool *killed);
    // Drives a failover under way one step on (call it often): the promotion noticed, the
    // killed primary restarted as a replica, that replica ready.
    bool advance();
    // Waits (driving it) until no failover is under way.
    bool settle(int timeoutMs);
    bool failoverUnderWay() const { return m_phase != Phase::Idle; }

    int faults() const { return m_restarts + m_pauses + m_primaryKills + m_unplannedFailovers; }
    int restarts() const { return m_restarts; }
    int pauses() const { return m_pauses; }
    int primaryKills() const { return m_primaryKills; }
    // Failovers the Sentinels made without a kill, noticed while a replica resyncs.
    int unplannedFailovers() const { return m_unplannedFailovers; }
    // From kill -9 to every Sentinel naming the promoted replica (as often as advance() looks).
    qint64 slowestPromotionMs() const { return m_slowestPromotionMs; }
    qint64 fastestPromotionMs() const { return m_fastestPromotionMs; }

private:
    enum class Phase { Idle, Promoting, Resyncing };
    bool fail(const QString &why);

    Kind m_kind;
    RedisTestServer m_server;
    std::unique_ptr<SentinelGroup> m_group;
    Phase m_phase = Phase::Idle;
    quint16 m_promoting = 0; // the replica's port while its promotion is awaited
    QElapsedTimer m_sinceKill;
    int m_restarts = 0, m_pauses = 0, m_primaryKills = 0, m_unplannedFailovers = 0;
    qint64 m_slowestPromotionMs = -1, m_fastestPromotionMs = -1;
    QString m_error;
};

} // namespace presence::test
