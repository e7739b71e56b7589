#pragma once

#include "model/RoomMember.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"

#include <QObject>
#include <QTimer>

namespace presence {

// The fast path to OFFLINE "timeout": Redis publishes `expired` on __keyevent@<db>__:expired
// when a client's alive key runs out, or a `due` key (one per 20 ms of deadlines, written by the
// heartbeat processors). Makes sure notify-keyspace-events has what that needs
// (merging with the flags already set), subscribes, and batches the clients it hears about.
// When CONFIG is refused (managed Redis), it says so once and the reconciler carries on alone.
class KeyspaceListener final : public QObject {
    Q_OBJECT
public:
    enum class ConfigState { Unknown, Enabled, Disabled, Refused };
    Q_ENUM(ConfigState)

    KeyspaceListener(RedisConnection &subscriber, RedisConnection &commands, RedisKeys keys,
                     int database, QObject *parent = nullptr);

    void start();
    // Reads the server's flags and adds what expired events need (after every reconnect: a
    // restarted server has its configured flags back).
    void ensureNotifications();
    // The operator's toggle: adds or removes expired events (only the x class).
    void setNotificationsWanted(bool wanted);
    bool notificationsWanted() const { return m_wanted; }

    ConfigState configState() const { return m_configState; }
    QString flags() const { return m_flags; }
    QString configError() const { return m_configError; }
    quint64 expiredEventsHeard() const { return m_heard; }

Q_SIGNALS:
    void clientsExpired(const QList<presence::RoomMember> &members);
    // A `due` key expired: deadlines passed (presence.lua); a sweep finds whose.
    void deadlinesDue();
    void configChanged();

private:
    void applyFlags(const QString &current);
    void refuse(const QString &error);

    RedisConnection &m_subscriber;
    RedisConnection &m_commands;
    RedisKeys m_keys;
    int m_database;
    bool m_wanted = true;
    ConfigState m_configState = ConfigState::Unknown;
    QString m_flags;
    QString m_configError;
    bool m_refusalLogged = false;
    quint64 m_heard = 0;
    QList<RoomMember> m_batch;
    QTimer m_flushTimer;
};

} // namespace presence
