#pragma once

#include "redis/PrimaryLocator.h"

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
class SentinelPrimary final : public PrimaryLocator {
    Q_OBJECT
public:
    SentinelPrimary(RedisUrl group, int askTimeoutMs, QObject *parent = nullptr);
    ~SentinelPrimary() override;

    // Asks the Sentinels for the primary: nullopt and why when none named one.
    void locate(Found found) override;
    void cancel() override;
    // Starts listening for +switch-master (idempotent): moved() when a Sentinel announces one.
    void follow() override;
    QString describe(const RedisUrl &url, const RedisUrl &server) const override;
    QString notLocatedWithin(const RedisUrl &url, int ms) const override;
    QString movedAway(const QString &host, quint16 port) const override;
    bool checksRole() const override { return true; }
    // The Sentinel that last answered, for logs and the dashboard.
    QString lastAnswer() const override { return m_lastSentinel; }
    QString lastSentinel() const { return m_lastSentinel; }

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
