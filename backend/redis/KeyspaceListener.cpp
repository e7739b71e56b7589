#include "KeyspaceListener.h"

#include "redis/KeyspaceFlags.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcKeyspace, "presence.redis.keyspace")

namespace presence {

KeyspaceListener::KeyspaceListener(RedisConnection &subscriber, RedisConnection &commands,
                                   RedisKeys keys, int database, QObject *parent)
    : QObject(parent)
    , m_subscriber(subscriber)
    , m_commands(commands)
    , m_keys(std::move(keys))
    , m_database(database)
{
    // Expired events come in bursts (many keys share a deadline): one function call per burst.
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(0);
    connect(&m_flushTimer, &QTimer::timeout, this, [this] {
        Q_EMIT clientsExpired(std::exchange(m_batch, {}));
    });
}

void KeyspaceListener::start()
{
    const QByteArray channel = "__keyevent@" + QByteArray::number(m_database) + "__:expired";
    const QByteArray prefix = m_keys.alivePrefix();
    const QByteArray due = m_keys.duePrefix();
    m_subscriber.subscribe({channel}, [this, prefix, due](const QByteArray &, const QByteArray &key) {
        if (key.startsWith(due)) {
            ++m_heard;
            Q_EMIT deadlinesDue();
            return;
        }
        if (!key.startsWith(prefix))
            return;
        const auto member = RoomMember::fromStoreKey(QString::fromUtf8(key.mid(prefix.size())));
        if (!member)
            return;
        ++m_heard;
        m_batch.append(*member);
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
    });
    // The flags are checked by ensureNotifications(), which the engine calls on every Up.
}

void KeyspaceListener::ensureNotifications()
{
    m_commands.command({"CONFIG", "GET", "notify-keyspace-events"}, [this](const RedisReply &reply) {
        if (reply.isError()) {
            refuse(QString::fromUtf8(reply.toByteArray()));
            return;
        }
        // [name, value]
        applyFlags(QString::fromUtf8(reply.elements().value(1).toByteArray()));
    });
}

void KeyspaceListener::setNotificationsWanted(bool wanted)
{
    m_wanted = wanted;
    if (m_commands.state() == RedisConnection::State::Up)
        ensureNotifications();
}

void KeyspaceListener::applyFlags(const QString &current)
{
    const QString wanted = m_wanted ? keyspaceFlagsWithExpired(current)
                                    : keyspaceFlagsWithoutExpired(current);
    if (wanted == current) {
        m_flags = current;
        m_configState = keyspaceFlagsDeliverExpiredKeyevents(current) ? ConfigState::Enabled
                                                                       : ConfigState::Disabled;
        Q_EMIT configChanged();
        return;
    }
    m_commands.command({"CONFIG", "SET", "notify-keyspace-events", wanted.toUtf8()},
                       [this, current, wanted](const RedisReply &reply) {
                           if (reply.isError()) {
                               refuse(QString::fromUtf8(reply.toByteArray()));
                               return;
                           }
                           qCInfo(lcKeyspace).noquote()
                               << QStringLiteral("notify-keyspace-events \"%1\" -> \"%2\"")
                                      .arg(current, wanted);
                           m_flags = wanted;
                           m_configState = m_wanted ? ConfigState::Enabled : ConfigState::Disabled;
                           m_configError.clear();
                           Q_EMIT configChanged();
                       });
}

void KeyspaceListener::refuse(const QString &error)
{
    m_configState = ConfigState::Refused;
    m_configError = error;
    if (!m_refusalLogged) {
        m_refusalLogged = true;
        qCWarning(lcKeyspace).noquote()
            << QStringLiteral("this Redis refuses CONFIG (%1); expired-key notifications cannot be "
                              "switched on from here, so OFFLINE detection relies on the "
                              "reconciler's sweep (still within the TTL + sweep interval)")
                   .arg(error);
    }
    Q_EMIT configChanged();
}

} // namespace presence
