#pragma once

#include "redis/RedisCluster.h"

#include <QObject>
#include <map>
#include <memory>

namespace presence {

// Pub/sub on every primary of a Redis Cluster. Keyspace notifications are published only on
// the node that holds the key, so following them takes one subscriber connection per primary.
// The set follows the slot map: a primary that appears (a replica promoted, a node added) gets
// a subscriber with every subscription so far, one that serves no slot any more loses its own.
// Each connection restores its subscriptions after a reconnect (RedisConnection), and
// subscribedOn() says when a primary's are confirmed: from then on nothing published there is
// missed.
class ClusterSubscriber final : public QObject {
    Q_OBJECT
public:
    using Address = RedisCluster::Address;
    using MessageCallback = RedisConnection::MessageCallback;

    ClusterSubscriber(RedisCluster &cluster, RedisConnection::Options options,
                      QObject *parent = nullptr);
    ~ClusterSubscriber() override;

    void subscribe(const QList<QByteArray> &channels, MessageCallback onMessage);
    void psubscribe(const QList<QByteArray> &patterns, MessageCallback onMessage);

    // Every primary of the current map has a subscriber that is Up.
    bool isUp() const;
    qsizetype subscriberCount() const { return qsizetype(m_subscribers.size()); }

Q_SIGNALS:
    void subscribedOn(const QString &primary);
    void upChanged(bool up);

private:
    struct Subscription {
        QList<QByteArray> names;
        bool patterns = false;
        MessageCallback onMessage;
    };

    void follow();
    void addTo(RedisConnection &connection, const Subscription &subscription);
    void checkUp();

    RedisCluster &m_cluster;
    RedisConnection::Options m_options;
    QList<Subscription> m_subscriptions;
    std::map<QString, std::unique_ptr<RedisConnection>> m_subscribers; // "host:port" → one
    bool m_up = false;
};

} // namespace presence
