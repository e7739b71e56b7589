#pragma once

#include "redis/RedisUrl.h"

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <functional>
#include <memory>
#include <optional>

namespace presence {

class RedisConnection;

// The primary of a Sentinel group (redis-sentinel://…#MASTER): asked of the Sentinels with
// SENTINEL get-master-addr-by-name, one at a time, each within a short timeout, the next one
// when a Sentinel is down, slow or does not know the name; and followed as it moves: one
// Sentinel's +switch-master announcements (the next Sentinel when that one goes away).
// The connection that owns this asks before every connect attempt and checks ROLE itself:
// a Sentinel may still name a primary that has just been demoted.
class SentinelPrimary final : public QObject {
    Q_OBJECT
public:
    // primary: the server to connect to; or nullopt and why no Sentinel named one.
    using Found = std::function<void(const std::optional<RedisUrl> &primary, const QString &why)>;

    SentinelPrimary(RedisUrl group, int askTimeoutMs, QObject *parent = nullptr);
    ~SentinelPrimary() override;

    // Calls `found` once, from the event loop, unless cancel() (or a newer locate()) comes first.
    void locate(Found found);
    void cancel();
    // Starts listening for +switch-master (idempotent).
    void follow();
    // The Sentinel that last answered, for logs and the dashboard.
    QString lastSentinel() const { return m_lastSentinel; }

Q_SIGNALS:
    // A Sentinel announced that the group's primary is now host:port.
    void moved(const QString &host, quint16 port);

private:
    void askNext();
    void answered(qsizetype sentinel, const QString &host, quint16 port);
    void skip(qsizetype sentinel, const QString &why);
    void watch(qsizetype sentinel);
    void onAnnouncement(const QByteArray &payload);

    RedisUrl m_group;
    int m_askTimeoutMs;
    Found m_found;
    qsizetype m_start = 0; // the Sentinel that answered last is asked first
    qsizetype m_asked = 0; // how many have been asked in this round
    std::unique_ptr<RedisConnection> m_asker;
    QTimer m_askTimer;
    QStringList m_failures;
    QString m_lastSentinel;

    bool m_following = false;
    qsizetype m_watched = 0;
    std::unique_ptr<RedisConnection> m_watcher;
    QTimer m_rewatchTimer;
};

} // namespace presence
