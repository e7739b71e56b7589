#pragma once

#include "redis/RedisConnection.h"
#include "redis/StreamEntries.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <QTest>

#include <optional>

namespace presence::test {

// Issues one command and waits (with a deadline) for its reply; an Error reply if none came.
inline RedisReply runCommand(RedisConnection &connection, const QList<QByteArray> &argv,
                             int timeoutMs = 10000)
{
    std::optional<RedisReply> result;
    connection.command(argv, [&result](const RedisReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, timeoutMs))
        return RedisReply::error("test: no reply within the deadline");
    return *result;
}

inline bool waitUntilUp(const RedisConnection &connection, int timeoutMs = 10000)
{
    return QTest::qWaitFor([&] { return connection.state() == RedisConnection::State::Up; },
                           timeoutMs);
}

// "client status reason" of every entry of the presence stream, oldest first; "room/client …"
// for entries with a room field.
inline QStringList streamTransitions(RedisConnection &connection, const QByteArray &stream = "presence")
{
    QStringList lines;
    for (const StreamEntry &entry : parseStreamEntries(runCommand(connection, {"XRANGE", stream, "-", "+"}))) {
        const QByteArray room = entry.value("room");
        lines.append(QString::fromUtf8((room.isNull() ? QByteArray() : room + '/') + entry.value("client")
                                       + ' ' + entry.value("status") + ' ' + entry.value("reason")));
    }
    return lines;
}

// node -> open connections of a member, as the library keeps them (one field of
// <prefix>presence:conns per member, library v8).
inline QJsonObject connectionsOf(RedisConnection &connection, const QByteArray &member,
                                 const QByteArray &prefix = {})
{
    const RedisReply raw = runCommand(connection, {"HGET", prefix + "presence:conns", member});
    return QJsonDocument::fromJson(raw.toByteArray()).object();
}

// A node the library takes for alive for `forMs` more (its entry in the node index, which the
// functions decide by), without a running node: for tests that stand in for one.
inline bool markNodeAlive(RedisConnection &connection, const QByteArray &node, qint64 forMs = 120000,
                          const QByteArray &prefix = {})
{
    const qint64 until = QDateTime::currentMSecsSinceEpoch() + forMs;
    return !runCommand(connection, {"ZADD", prefix + "presence:nodes", QByteArray::number(until), node})
                .isError();
}

} // namespace presence::test
