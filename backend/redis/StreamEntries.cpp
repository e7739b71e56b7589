#include "StreamEntries.h"

namespace presence {

QByteArray StreamEntry::value(QByteArrayView field) const
{
    for (const auto &[name, value] : fields) {
        if (name == field)
            return value;
    }
    return {};
}

namespace {
std::optional<StreamEntry> parseEntry(const RedisReply &element)
{
    // [id, [field, value, …]]; a deleted entry may come back with a Nil field list.
    if (!element.isArray() || element.elements().size() != 2 || !element.elements()[0].isString())
        return std::nullopt;
    StreamEntry entry;
    entry.rawId = element.elements()[0].toByteArray();
    const auto id = EventId::parse(entry.rawId);
    if (!id)
        return std::nullopt;
    entry.id = *id;
    const RedisReply &fields = element.elements()[1];
    if (fields.isArray()) {
        const auto &flat = fields.elements();
        for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
            entry.fields.append({flat[i].toByteArray(), flat[i + 1].toByteArray()});
    }
    return entry;
}
} // namespace

QList<StreamEntry> parseStreamEntries(const RedisReply &reply, int *malformed)
{
    QList<StreamEntry> entries;
    for (const RedisReply &element : reply.elements()) {
        if (auto entry = parseEntry(element))
            entries.append(std::move(*entry));
        else if (malformed)
            ++*malformed;
    }
    return entries;
}

QList<StreamEntry> parseStreamRead(const RedisReply &reply, int *malformed)
{
    QList<StreamEntry> entries;
    for (const RedisReply &stream : reply.elements()) {
        if (stream.isArray() && stream.elements().size() == 2)
            entries += parseStreamEntries(stream.elements()[1], malformed);
        else if (malformed)
            ++*malformed;
    }
    return entries;
}

namespace {
// The entry's `room` field; absent or empty is the default room.
std::optional<RoomName> roomOf(const StreamEntry &entry, QString *whyNot)
{
    const QByteArray raw = entry.value("room");
    if (raw.isEmpty())
        return RoomName{};
    QString why;
    const auto room = RoomName::fromString(QString::fromUtf8(raw), &why);
    if (!room && whyNot)
        *whyNot = QStringLiteral("invalid room: ") + why;
    return room;
}
} // namespace

std::optional<Heartbeat> parseHeartbeat(const StreamEntry &entry, QString *whyNot)
{
    const QByteArray raw = entry.value("client");
    if (raw.isNull()) {
        if (whyNot)
            *whyNot = QStringLiteral("no client field");
        return std::nullopt;
    }
    const QString text = QString::fromUtf8(raw);
    // Invalid UTF-8 becomes U+FFFD and is then refused by the id rule.
    const auto client = ClientId::fromString(text, whyNot);
    if (!client)
        return std::nullopt;
    const auto room = roomOf(entry, whyNot);
    if (!room)
        return std::nullopt;
    Heartbeat heartbeat{*client, *room, qint64(entry.id.ms), entry.value("node")};
    bool ok = false;
    const qint64 ttl = entry.value("ttl").toLongLong(&ok);
    if (ok && ttl > 0 && ttl <= maxHeartbeatTtlMs)
        heartbeat.ttlMs = ttl;
    const qint64 connections = entry.value("conns").toLongLong(&ok);
    if (ok && connections > 0 && connections <= 1000000)
        heartbeat.connections = connections;
    return heartbeat;
}

std::optional<PresenceEvent> parsePresenceEntry(const StreamEntry &entry, QString *whyNot)
{
    const auto fail = [whyNot](const QString &reason) {
        if (whyNot)
            *whyNot = reason;
        return std::nullopt;
    };
    const auto client = ClientId::fromString(QString::fromUtf8(entry.value("client")), whyNot);
    if (!client)
        return std::nullopt;
    const auto status = presenceStatusFromString(QString::fromUtf8(entry.value("status")));
    if (!status)
        return fail(QStringLiteral("status is neither ONLINE nor OFFLINE"));
    const auto room = roomOf(entry, whyNot);
    if (!room)
        return std::nullopt;
    PresenceEvent event;
    event.id = entry.id;
    event.client = *client;
    event.room = *room;
    event.status = *status;
    event.reason = QString::fromUtf8(entry.value("reason").left(64));
    event.node = QString::fromUtf8(entry.value("node").left(256));
    bool ok = false;
    const qint64 at = entry.value("at").toLongLong(&ok);
    event.atMs = ok && at > 0 ? at : qint64(entry.id.ms);
    return event;
}

} // namespace presence
