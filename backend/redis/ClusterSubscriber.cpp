#include "redis/ClusterSubscriber.h"

namespace presence {

ClusterSubscriber::ClusterSubscriber(RedisCluster &cluster, RedisConnection::Options options,
                                     QObject *parent)
    : QObject(parent)
    , m_cluster(cluster)
    , m_options(options)
{
    connect(&m_cluster, &RedisCluster::slotMapChanged, this, &ClusterSubscriber::follow);
    follow();
}

ClusterSubscriber::~ClusterSubscriber() = default;

void ClusterSubscriber::subscribe(const QList<QByteArray> &channels, MessageCallback onMessage)
{
    m_subscriptions.append({channels, false, std::move(onMessage)});
    for (auto &[key, connection] : m_subscribers)
        addTo(*connection, m_subscriptions.last());
    follow();
}

void ClusterSubscriber::psubscribe(const QList<QByteArray> &patterns, MessageCallback onMessage)
{
    m_subscriptions.append({patterns, true, std::move(onMessage)});
    for (auto &[key, connection] : m_subscribers)
        addTo(*connection, m_subscriptions.last());
    follow();
}

void ClusterSubscriber::addTo(RedisConnection &connection, const Subscription &subscription)
{
    if (subscription.patterns)
        connection.psubscribe(subscription.names, subscription.onMessage);
    else
        connection.subscribe(subscription.names, subscription.onMessage);
}

void ClusterSubscriber::follow()
{
    if (!m_cluster.hasSlotMap() || m_subscriptions.isEmpty())
        return;
    const QList<Address> primaries = m_cluster.slotMap().primaries();
    QStringList wanted;
    for (const Address &primary : primaries)
        wanted.append(clusterNodeName(primary));
    for (auto it = m_subscribers.begin(); it != m_subscribers.end();) {
        if (wanted.contains(it->first)) {
            ++it;
            continue;
        }
        it->second->disconnect(this);
        it->second.release()->deleteLater(); // we may be inside one of its signals
        it = m_subscribers.erase(it);
    }
    for (const Address &primary : primaries) {
        const QString key = clusterNodeName(primary);
        if (m_subscribers.count(key) != 0)
            continue;
        auto connection = std::make_unique<RedisConnection>(m_cluster.nodeUrl(primary), m_options);
        for (const Subscription &subscription : std::as_const(m_subscriptions))
            addTo(*connection, subscription);
        connect(connection.get(), &RedisConnection::stateChanged, this,
                [this, key](RedisConnection::State state) {
                    if (state == RedisConnection::State::Up)
                        Q_EMIT subscribedOn(key);
                    checkUp();
                });
        connection->open();
        m_subscribers.emplace(key, std::move(connection));
    }
    checkUp();
}

bool ClusterSubscriber::isUp() const
{
    if (!m_cluster.hasSlotMap() || m_subscribers.empty())
        return false;
    for (const auto &[key, connection] : m_subscribers) {
        if (connection->state() != RedisConnection::State::Up)
            return false;
    }
    return qsizetype(m_subscribers.size()) == m_cluster.slotMap().primaries().size();
}

void ClusterSubscriber::checkUp()
{
    const bool up = isUp();
    if (up == m_up)
        return;
    m_up = up;
    Q_EMIT upChanged(up);
}

} // namespace presence
