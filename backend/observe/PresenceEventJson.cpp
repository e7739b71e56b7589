#include "PresenceEventJson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace presence {

std::optional<PresenceEvent> presenceEventFromJson(const QByteArray &json, bool *snapshot,
                                                   QString *whyNot)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    auto fail = [whyNot](const QString &why) -> std::optional<PresenceEvent> {
        if (whyNot)
            *whyNot = why;
        return std::nullopt;
    };
    if (!document.isObject())
        return fail(QStringLiteral("not a JSON object"));
    const QJsonObject object = document.object();
    PresenceEvent event;
    QString why;
    const auto client = ClientId::fromString(object.value(QStringLiteral("client")).toString(), &why);
    if (!client)
        return fail(QStringLiteral("client: ") + why);
    event.client = *client;
    const auto status = presenceStatusFromString(object.value(QStringLiteral("status")).toString());
    if (!status)
        return fail(QStringLiteral("status is neither ONLINE nor OFFLINE"));
    event.status = *status;
    if (object.contains(QStringLiteral("room"))) {
        const auto room = RoomName::fromString(object.value(QStringLiteral("room")).toString(), &why);
        if (!room)
            return fail(QStringLiteral("room: ") + why);
        event.room = *room;
    }
    event.reason = object.value(QStringLiteral("reason")).toString();
    event.atMs = qint64(object.value(QStringLiteral("at")).toDouble());
    event.node = object.value(QStringLiteral("node")).toString();
    if (const auto id = EventId::parse(object.value(QStringLiteral("id")).toString().toLatin1()))
        event.id = *id;
    if (snapshot)
        *snapshot = object.value(QStringLiteral("snapshot")).toBool();
    return event;
}

std::optional<ClientPresence> clientPresenceFromJson(const QJsonObject &object)
{
    const auto client = ClientId::fromString(object.value(QStringLiteral("client")).toString());
    const auto room = RoomName::fromString(object.value(QStringLiteral("room")).toString());
    const auto status = presenceStatusFromString(object.value(QStringLiteral("status")).toString());
    if (!client || !room || !status)
        return std::nullopt;
    ClientPresence row;
    row.client = *client;
    row.room = *room;
    row.status = *status;
    row.reason = object.value(QStringLiteral("reason")).toString();
    row.sinceMs = qint64(object.value(QStringLiteral("since")).toDouble());
    row.lastSeenMs = qint64(object.value(QStringLiteral("lastSeen")).toDouble());
    row.deadlineMs = qint64(object.value(QStringLiteral("deadline")).toDouble());
    row.connections = object.value(QStringLiteral("connections")).toInt();
    for (const QJsonValue &node : object.value(QStringLiteral("nodes")).toArray())
        row.nodes.append(node.toString());
    return row;
}

QByteArray presenceJsonLine(const PresenceEvent &event, bool snapshot)
{
    QByteArray json = event.toJson();
    if (snapshot)
        json.insert(json.size() - 1, ",\"snapshot\":true");
    return json;
}

} // namespace presence
