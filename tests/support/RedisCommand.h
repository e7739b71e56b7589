#pragma once

#include "redis/RedisConnection.h"
#include "redis/StreamEntries.h"

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

} // namespace presence::test
