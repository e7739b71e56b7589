#pragma once

#include "RedisTestServer.h"
#include "redis/RedisUrl.h"

#include <QProcess>
#include <QTemporaryDir>
#include <array>
#include <memory>

namespace presence::test {

// A real Sentinel-managed group on loopback, as production runs it: a primary, one replica and
// three Sentinels (quorum 2, down-after 2 s), each a redis-server process of its own on a free
// port. start() returns once the replica is in sync and the Sentinels can fail over
// (SENTINEL CKQUORUM); false with errorString() otherwise, so a test fails, never skips.
class SentinelGroup {
public:
    static constexpr const char *masterName = "presence-main";

    SentinelGroup();
    ~SentinelGroup();
    SentinelGroup(const SentinelGroup &) = delete;
    SentinelGroup &operator=(const SentinelGroup &) = delete;

    bool start();
    QString errorString() const { return m_error; }

    // redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3#presence-main
    RedisUrl url() const;
    QString urlText() const;
    RedisTestServer &primary() { return *m_servers[m_primary]; }
    RedisTestServer &replica() { return *m_servers[1 - m_primary]; }
    quint16 sentinelPort(int index) const { return m_sentinelPorts[index]; }

    // kill -9 of the current primary; the replica is expected to take over.
    bool killPrimary();
    // Waits until every Sentinel names `port` as the primary, and it answers ROLE "master".
    bool waitForPromotion(quint16 port, int timeoutMs);
    // The same, looked at once.
    bool isPromoted(quint16 port);
    // Whether the Sentinels (the first one) name the server primary() is not, i.e. failed over
    // on their own (a primary slow to answer for down-after on a loaded machine); if so,
    // primary() and replica() swap to match.
    bool followSentinels();
    // After killPrimary() and the promotion: the killed server comes back (empty, same port) as
    // a replica of the new primary, so that a later kill has a replica to promote.
    bool restartKilledAsReplica();
    // Whether the replica is in sync and every Sentinel lists it as a healthy replica (not
    // down, not disconnected): only then can the Sentinels promote it.
    bool replicaIsReady();
    // Stops (SIGSTOP) or resumes one Sentinel.
    bool pauseSentinel(int index);
    bool resumeSentinel(int index);

private:
    bool startSentinel(int index);
    static void noSyncDelay(quint16 port);
    bool fail(const QString &why);

    QTemporaryDir m_dir;
    std::array<std::unique_ptr<RedisTestServer>, 2> m_servers;
    int m_primary = 0;
    std::array<std::unique_ptr<QProcess>, 3> m_sentinels;
    std::array<quint16, 3> m_sentinelPorts{};
    QString m_error;
};

// One command on a fresh plain TCP connection, with a deadline; the raw RESP answer (empty
// when none came). For setting up and checking test servers, not for the code under test.
QByteArray askRedis(quint16 port, const QByteArray &inlineCommand, int timeoutMs = 1000);

} // namespace presence::test
