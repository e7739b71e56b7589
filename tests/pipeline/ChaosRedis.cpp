#include "ChaosRedis.h"

#include "RedisCommand.h"

#include <QTest>
#include <algorithm>

namespace presence::test {

ChaosRedis::ChaosRedis(Kind kind)
    : m_kind(kind)
{
}

bool ChaosRedis::fail(const QString &why)
{
    m_error = why;
    return false;
}

bool ChaosRedis::start()
{
    if (m_kind == Kind::Cluster) {
        m_cluster = std::make_unique<ChaosCluster>();
        return m_cluster->start() || fail(m_cluster->errorString());
    }
    if (m_kind == Kind::Single) {
        if (!m_server.start())
            return fail(m_server.errorString());
        m_inspector = std::make_unique<RedisConnection>(m_server.url());
    } else {
        m_group = std::make_unique<SentinelGroup>();
        if (!m_group->start())
            return fail(m_group->errorString());
        m_inspector = std::make_unique<RedisConnection>(m_group->url());
    }
    m_inspector->open();
    return true;
}

const char *ChaosRedis::kindName() const
{
    switch (m_kind) {
    case Kind::Single:
        return "one redis-server";
    case Kind::Sentinel:
        return "Sentinel group";
    case Kind::Cluster:
        return "Redis Cluster";
    }
    return "";
}

QString ChaosRedis::nodeUrl() const
{
    switch (m_kind) {
    case Kind::Single:
        return QStringLiteral("redis://127.0.0.1:%1").arg(m_server.port());
    case Kind::Sentinel:
        return m_group->urlText();
    case Kind::Cluster:
        return m_cluster->nodeUrl();
    }
    return {};
}

RedisReply ChaosRedis::ask(const QList<QByteArray> &argv, int timeoutMs)
{
    return m_cluster ? m_cluster->ask(argv, timeoutMs) : runCommand(*m_inspector, argv, timeoutMs);
}

RedisKeys ChaosRedis::keysOf(const QString &room) const
{
    return m_cluster ? m_cluster->keysOf(room) : RedisKeys{};
}

bool ChaosRedis::describeRooms(const QStringList &rooms)
{
    return !m_cluster || m_cluster->describeRooms(rooms);
}

bool ChaosRedis::failoverUnderWay() const
{
    return m_cluster ? m_cluster->failoverUnderWay() : m_phase != Phase::Idle;
}

int ChaosRedis::primaryKills() const
{
    return m_cluster ? m_cluster->primaryKills() : m_primaryKills;
}

int ChaosRedis::unplannedFailovers() const
{
    return m_cluster ? m_cluster->unplannedFailovers() : m_unplannedFailovers;
}

qint64 ChaosRedis::slowestPromotionMs() const
{
    return m_cluster ? m_cluster->slowestPromotionMs() : m_slowestPromotionMs;
}

qint64 ChaosRedis::fastestPromotionMs() const
{
    return m_cluster ? m_cluster->fastestPromotionMs() : m_fastestPromotionMs;
}

ChaosCluster::Timeline ChaosRedis::clusterTimeline() const
{
    return m_cluster ? m_cluster->timeline() : ChaosCluster::Timeline();
}

bool ChaosRedis::injectFault(QRandomGenerator &random)
{
    if (killsPrimaries()) {
        bool killed = false;
        return killPrimary(random, &killed);
    }
    if (random.bounded(5u) < 3) {
        ++m_restarts;
        return m_server.restart() || fail(m_server.errorString());
    }
    // Hung past the reply deadline (3 s): every node drops and reconnects.
    if (!m_server.pause())
        return fail(m_server.errorString());
    QTest::qWait(int(3500 + random.bounded(1000u)));
    ++m_pauses;
    return m_server.resume() || fail(m_server.errorString());
}

bool ChaosRedis::killPrimary(QRandomGenerator &random, bool *killed)
{
    *killed = false;
    if (m_cluster)
        return m_cluster->killPrimary(random, killed) || fail(m_cluster->errorString());
    if (m_kind != Kind::Sentinel || failoverUnderWay() || !m_group->replicaIsReady())
        return true;
    m_promoting = m_group->replica().port();
    if (!m_group->killPrimary())
        return fail(m_group->errorString());
    m_sinceKill.start();
    qInfo("chaos: kill -9 of the primary; awaiting the promotion of port %u", m_promoting);
    m_phase = Phase::Promoting;
    ++m_primaryKills;
    *killed = true;
    return true;
}

bool ChaosRedis::advance()
{
    if (m_cluster)
        return m_cluster->advance() || fail(m_cluster->errorString());
    if (m_kind == Kind::Sentinel && m_phase != Phase::Promoting && m_group->followSentinels()) {
        // The Sentinels failed over on their own (seen under load: a freshly promoted primary
        // missed down-after while its old self resynced): follow them.
        ++m_unplannedFailovers;
        qInfo("chaos: the Sentinels failed over on their own to port %u",
              m_group->primary().port());
    }
    switch (m_phase) {
    case Phase::Idle:
        return true;
    case Phase::Promoting: {
        if (!m_group->isPromoted(m_promoting))
            return m_sinceKill.elapsed() < 30000 ||
                   fail(QStringLiteral("no promotion 30 s after kill -9 of the primary"));
        const qint64 took = m_sinceKill.elapsed();
        m_slowestPromotionMs = std::max(m_slowestPromotionMs, took);
        m_fastestPromotionMs =
            m_fastestPromotionMs < 0 ? took : std::min(m_fastestPromotionMs, took);
        qInfo("chaos: port %u promoted %lld ms after the kill", m_promoting, took);
        m_phase = Phase::Resyncing;
        return m_group->restartKilledAsReplica() || fail(m_group->errorString());
    }
    case Phase::Resyncing:
        if (m_group->replicaIsReady()) {
            qInfo("chaos: the killed primary is a ready replica %lld ms after the kill",
                  m_sinceKill.elapsed());
            m_phase = Phase::Idle;
        } else if (m_sinceKill.elapsed() > 60000)
            return fail(QStringLiteral("the killed primary did not come back as a ready replica"));
        return true;
    }
    return true;
}

bool ChaosRedis::settle(int timeoutMs)
{
    bool failed = false;
    const bool settled = QTest::qWaitFor(
        [&] {
            failed = !advance();
            return failed || !failoverUnderWay();
        },
        timeoutMs);
    return !failed &&
           (settled ||
            fail(QStringLiteral("a failover still under way after %1 ms").arg(timeoutMs)));
}

} // namespace presence::test
