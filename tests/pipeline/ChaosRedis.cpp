#include "ChaosRedis.h"

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
    if (m_kind == Kind::Single)
        return m_server.start() || fail(m_server.errorString());
    m_group = std::make_unique<SentinelGroup>();
    return m_group->start() || fail(m_group->errorString());
}

QString ChaosRedis::nodeUrl() const
{
    return m_kind == Kind::Single ? QStringLiteral("redis://127.0.0.1:%1").arg(m_server.port())
                                  : m_group->urlText();
}

RedisUrl ChaosRedis::inspectorUrl() const
{
    return m_kind == Kind::Single ? m_server.url() : m_group->url();
}

bool ChaosRedis::injectFault(QRandomGenerator &random)
{
    if (m_kind == Kind::Sentinel) {
        bool killed = false;
        return killPrimary(&killed);
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

bool ChaosRedis::killPrimary(bool *killed)
{
    *killed = false;
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
