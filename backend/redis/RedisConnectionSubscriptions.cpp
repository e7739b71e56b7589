// RedisConnection's subscriptions (SUBSCRIBE, PSUBSCRIBE and the pushes they bring): the rest
// of the class is in RedisConnection.cpp.
#include "redis/RedisConnection.h"

#include <QPointer>

namespace presence {

void RedisConnection::subscribe(const QList<QByteArray> &channels, MessageCallback onMessage)
{
    addSubscriptions(channels, false, std::move(onMessage));
}

void RedisConnection::psubscribe(const QList<QByteArray> &patterns, MessageCallback onMessage)
{
    addSubscriptions(patterns, true, std::move(onMessage));
}

void RedisConnection::addSubscriptions(const QList<QByteArray> &names, bool patterns,
                                       MessageCallback onMessage)
{
    if (names.isEmpty())
        return;
    for (const QByteArray &name : names)
        (patterns ? m_patterns : m_channels).insert(name, onMessage);
    // Before login the whole set goes out in loggedIn(); after it, only the new names.
    if (!m_socket || !m_loggedIn)
        return;
    sendSubscriptions(names, patterns);
    if (m_state != State::Up)
        m_unconfirmedSubscriptions += names.size();
}

void RedisConnection::sendSubscriptions(const QList<QByteArray> &names, bool patterns)
{
    m_pubSubMode = true;
    send(QList<QByteArray>{patterns ? "PSUBSCRIBE" : "SUBSCRIBE"} + names);
}

bool RedisConnection::isPubSubPush(const RedisReply &reply) const
{
    if (!m_pubSubMode || !reply.isArray() || reply.elements().isEmpty())
        return false;
    const QByteArray kind = reply.elements().first().toByteArray();
    return kind == "message" || kind == "pmessage" || kind == "subscribe" ||
           kind == "psubscribe" || kind == "unsubscribe" || kind == "punsubscribe" ||
           kind == "pong";
}

void RedisConnection::subscriptionReply(const RedisReply &reply)
{
    const QList<RedisReply> &parts = reply.elements();
    const QByteArray kind = parts.value(0).toByteArray();
    if (kind == "message" && parts.size() == 3) {
        const MessageCallback handler = m_channels.value(parts[1].toByteArray());
        if (handler) // last statement: the handler may destroy the connection
            handler(parts[1].toByteArray(), parts[2].toByteArray());
    } else if (kind == "pmessage" && parts.size() == 4) {
        const MessageCallback handler = m_patterns.value(parts[1].toByteArray());
        if (handler)
            handler(parts[2].toByteArray(), parts[3].toByteArray());
    } else if (kind == "pong") {
        m_pingDeadlineMs = -1; // the server answers: not hung
    } else if (kind == "subscribe" || kind == "psubscribe") {
        QPointer<RedisConnection> alive(this);
        Q_EMIT subscribed(parts.value(1).toByteArray());
        if (alive && m_state != State::Up && --m_unconfirmedSubscriptions == 0)
            becomeUp();
    }
}

} // namespace presence
