#pragma once

// What tst_chaos reads off the SSE streams it holds: a viewer's view of every member, and the
// member an event is about.
#include "SseTestClient.h"

#include <QJsonObject>
#include <map>

namespace presence::test {

// "room/client" of an event (the default room when it names none).
inline QString memberOf(const QJsonObject &json)
{
    return json.value(QStringLiteral("room")).toString(QStringLiteral("default")) + u'/' +
           json.value(QStringLiteral("client")).toString();
}

// The milliseconds of an event id "<ms>-<seq>" (Redis' clock when the entry was written).
inline qint64 idMs(const QByteArray &id)
{
    return id.left(id.indexOf('-')).toLongLong();
}

// The last status each member ("room/client") was reported with, replaying a viewer's events;
// also counts repeats (the same status twice in a row for one member).
inline std::map<QString, QString> replay(const SseTestClient &viewer, int *repeats)
{
    std::map<QString, QString> last;
    for (const auto &event : viewer.events()) {
        const QJsonObject json = event.json();
        const QString member = memberOf(json);
        const QString status = json.value(QStringLiteral("status")).toString();
        const bool snapshot = json.value(QStringLiteral("snapshot")).toBool();
        const auto found = last.find(member);
        if (!snapshot && found != last.end() && found->second == status)
            ++*repeats;
        last[member] = status;
    }
    return last;
}

} // namespace presence::test
