#include "redis/ClusterSlotOwner.h"

#include "redis/RedisCluster.h"

namespace presence {

ClusterSlotOwner::ClusterSlotOwner(RedisCluster &cluster, int slot, QObject *parent)
    : PrimaryLocator(parent)
    , m_cluster(cluster)
    , m_slot(slot)
{
    connect(&m_cluster, &RedisCluster::slotMapChanged, this, &ClusterSlotOwner::mapChanged);
}

void ClusterSlotOwner::locate(Found found)
{
    m_found = std::move(found);
    m_cluster.requestRefresh();
    if (!m_cluster.hasSlotMap() || !m_cluster.slotMap().primaryFor(m_slot))
        return; // mapChanged() answers
    QMetaObject::invokeMethod(this, [this] { answer(); }, Qt::QueuedConnection);
}

void ClusterSlotOwner::cancel()
{
    m_found = {};
}

void ClusterSlotOwner::follow()
{
    m_following = true;
}

bool ClusterSlotOwner::answer()
{
    if (!m_found || !m_cluster.hasSlotMap())
        return false;
    const auto owner = m_cluster.slotMap().primaryFor(m_slot);
    if (!owner)
        return false;
    m_owner = owner;
    std::exchange(m_found, {})(m_cluster.nodeUrl(*owner), {});
    return true;
}

void ClusterSlotOwner::mapChanged()
{
    if (answer())
        return;
    const auto owner = m_cluster.slotMap().primaryFor(m_slot);
    if (m_following && owner && m_owner && !(*owner == *m_owner))
        Q_EMIT moved(owner->host, owner->port);
}

QString ClusterSlotOwner::describe(const RedisUrl &url, const RedisUrl &server) const
{
    if (!m_owner)
        return QStringLiteral("%1 (slot %2, owner not known yet)").arg(url.toDisplayString()).arg(m_slot);
    return QStringLiteral("%1 (slot %2 on %3:%4)")
        .arg(url.toDisplayString())
        .arg(m_slot)
        .arg(server.host())
        .arg(server.port());
}

QString ClusterSlotOwner::notLocatedWithin(const RedisUrl &url, int ms) const
{
    const QString why = m_cluster.lastError();
    return QStringLiteral("cannot connect to %1: no primary of the cluster served slot %2 within "
                          "%3 ms%4")
        .arg(url.toDisplayString())
        .arg(m_slot)
        .arg(ms)
        .arg(why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why));
}

QString ClusterSlotOwner::movedAway(const QString &host, quint16 port) const
{
    return QStringLiteral("slot %1 moved to %2:%3; reconnecting there").arg(m_slot).arg(host).arg(port);
}

void ClusterSlotOwner::redirected()
{
    m_cluster.requestRefresh();
}

} // namespace presence
