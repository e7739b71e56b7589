#include "ChaosCluster.h"

#include "redis/ClusterKeySlot.h"

#include <algorithm>

namespace presence::test {

namespace {
// ClusterPresenceEngine's default shard count.
constexpr int shardCount = 16;
} // namespace

ChaosCluster::ChaosCluster()
    : m_group(3, 1, 1000)
    , m_shards(shardCount)
{
}

bool ChaosCluster::fail(const QString &why)
{
    m_error = why;
    return false;
}

void ChaosCluster::mark(const QString &what)
{
    m_timeline.append({QDateTime::currentMSecsSinceEpoch(), what});
}

bool ChaosCluster::start()
{
    if (!m_group.start())
        return fail(m_group.errorString());
    m_primaries = m_group.primaryPorts();
    std::sort(m_primaries.begin(), m_primaries.end());
    return true;
}

RedisReply ChaosCluster::ask(const QList<QByteArray> &argv, int timeoutMs)
{
    const auto primary = m_group.primaryOfSlot(clusterKeySlot(argv.value(1)));
    if (!primary)
        return RedisReply::error("TEST no primary serves the slot of " + argv.value(1));
    const RedisReply reply = askNode(*primary, argv, timeoutMs);
    // The node asked for the slot map may lag behind (one just restarted): follow its MOVED.
    const QByteArray error = reply.isError() ? reply.toByteArray() : QByteArray();
    if (!error.startsWith("MOVED "))
        return reply;
    const quint16 movedTo = error.mid(error.lastIndexOf(':') + 1).toUShort();
    return askNode(movedTo, argv, timeoutMs);
}

RedisKeys ChaosCluster::keysOf(const QString &room) const
{
    const auto name = RoomName::fromString(room);
    const int shard = name ? m_shards.shardOf(*name) : 0;
    RedisKeys keys;
    keys.prefix = '{' + m_shards.tag(shard) + "}:";
    if (shard == 0)
        keys.presenceStreamName = QByteArrayLiteral("presence");
    return keys;
}

bool ChaosCluster::describeRooms(const QStringList &rooms)
{
    QList<quint16> serving;
    for (const QString &room : rooms) {
        const int shard = m_shards.shardOf(*RoomName::fromString(room));
        const quint16 primary = m_group.primaryOfSlot(m_shards.slot(shard)).value_or(0);
        qInfo("chaos: room %s is shard %d ({%s}, slot %d) on the primary on port %u",
              qPrintable(room), shard, m_shards.tag(shard).constData(), m_shards.slot(shard),
              primary);
        if (!serving.contains(primary))
            serving.append(primary);
    }
    return serving.size() >= 2;
}

bool ChaosCluster::readyForKill()
{
    if (!m_group.isHealthy())
        return false;
    const QList<quint16> primaries = m_group.primaryPorts();
    return primaries.size() == 3 &&
           std::all_of(primaries.cbegin(), primaries.cend(), [&](quint16 p) {
               const auto replica = m_group.replicaOf(p);
               return replica && m_group.replicaInSync(*replica, p);
           });
}

bool ChaosCluster::killPrimary(QRandomGenerator &random, bool *killed)
{
    *killed = false;
    if (failoverUnderWay() || !readyForKill())
        return true;
    const QList<quint16> primaries = m_group.primaryPorts();
    const quint16 victim = primaries[qsizetype(random.bounded(quint32(primaries.size())))];
    const auto replica = m_group.replicaOf(victim);
    const auto slot = m_group.aSlotOf(victim);
    if (!replica || !slot)
        return true; // the view changed since readyForKill(): another time
    m_killed = victim;
    m_promoting = *replica;
    m_killedSlot = *slot;
    if (!m_group.kill9(victim))
        return fail(m_group.errorString());
    m_sinceKill.start();
    mark(QStringLiteral("kill -9 of primary :%1").arg(m_killed));
    qInfo("chaos: kill -9 of the cluster primary on port %u (slot %d …); awaiting the promotion "
          "of its replica on port %u",
          m_killed, m_killedSlot, m_promoting);
    m_phase = Phase::Promoting;
    ++m_primaryKills;
    *killed = true;
    return true;
}

bool ChaosCluster::advance()
{
    switch (m_phase) {
    case Phase::Idle: {
        QList<quint16> primaries = m_group.primaryPorts();
        std::sort(primaries.begin(), primaries.end());
        if (primaries.size() == 3 && primaries != m_primaries) {
            // A primary replaced without a kill (one missing the node timeout under load).
            ++m_unplannedFailovers;
            mark(QStringLiteral("a failover of the cluster's own"));
            qInfo("chaos: the cluster failed over on its own (primaries now on ports %u, %u, %u)",
                  primaries[0], primaries[1], primaries[2]);
            m_primaries = primaries;
        }
        return true;
    }
    case Phase::Promoting: {
        if (m_group.primaryOfSlot(m_killedSlot) != m_promoting || !m_group.isHealthy())
            return m_sinceKill.elapsed() < 30000 ||
                   fail(QStringLiteral("no promotion 30 s after kill -9 of the primary on port %1")
                            .arg(m_killed));
        const qint64 took = m_sinceKill.elapsed();
        m_slowestPromotionMs = std::max(m_slowestPromotionMs, took);
        m_fastestPromotionMs =
            m_fastestPromotionMs < 0 ? took : std::min(m_fastestPromotionMs, took);
        qInfo("chaos: port %u promoted, the cluster healthy %lld ms after the kill", m_promoting,
              took);
        mark(QStringLiteral(":%1 promoted, cluster ok").arg(m_promoting));
        m_phase = Phase::Resyncing;
        return m_group.restart(m_killed) || fail(m_group.errorString());
    }
    case Phase::Resyncing:
        if (m_group.replicaInSync(m_killed, m_promoting) && readyForKill()) {
            qInfo("chaos: port %u rejoined as an in-sync replica of port %u %lld ms after the kill",
                  m_killed, m_promoting, m_sinceKill.elapsed());
            mark(QStringLiteral(":%1 an in-sync replica").arg(m_killed));
            m_primaries = m_group.primaryPorts();
            std::sort(m_primaries.begin(), m_primaries.end());
            m_phase = Phase::Idle;
        } else if (m_sinceKill.elapsed() > 60000) {
            return fail(QStringLiteral("port %1 did not rejoin as an in-sync replica of port %2")
                            .arg(m_killed)
                            .arg(m_promoting));
        }
        return true;
    }
    return true;
}

} // namespace presence::test
