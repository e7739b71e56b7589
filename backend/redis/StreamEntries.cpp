#include "StreamEntries.h"

#include <algorithm>

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
        entry.fields.reserve(flat.size() / 2);
        for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
            entry.fields.append({flat[i].toByteArray(), flat[i + 1].toByteArray()});
    }
    return entry;
}
} // namespace

QList<StreamEntry> parseStreamEntries(const RedisReply &reply, int *malformed)
{
    QList<StreamEntry> entries;
    // Reserved: grown one by one, a read of 1,000 seed entries spent a tenth of the
    // processor's time reallocating and copying entries (perf, bench/heartbeat/drain-ab.sh).
    entries.reserve(reply.elements().size());
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
        if (stream.isArray() && stream.elements().size() == 2 && entries.isEmpty())
            entries = parseStreamEntries(stream.elements()[1], malformed); // the usual one stream
        else if (stream.isArray() && stream.elements().size() == 2)
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

namespace {
// Names in the form storeKey() gives, checked on the bytes (the common case: no QString made).
// Anything else - "default/x", non-ASCII, a rule broken - takes RoomMember::fromStoreKey.
bool isPlainStoreKey(QByteArrayView name)
{
    qsizetype slash = -1;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '/') {
            if (slash >= 0)
                return false;
            slash = i;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '@'))
            return false;
    }
    const qsizetype client = slash < 0 ? name.size() : name.size() - slash - 1;
    if (client < 1 || client > ClientId::maxLength)
        return false;
    if (slash < 0)
        return true;
    const QByteArrayView room = name.first(slash);
    return room.size() >= 1 && room.size() <= RoomName::maxLength &&
           room != QByteArrayView("default"); // RoomName::defaultName()
}

// The text up to the next space (taken off `text` with the space).
QByteArrayView nextWord(QByteArrayView &text)
{
    const qsizetype space = text.indexOf(' ');
    const QByteArrayView word = space < 0 ? text : text.first(space);
    text = space < 0 ? QByteArrayView() : text.sliced(space + 1);
    return word;
}
} // namespace

std::optional<HeartbeatGroup> parseHeartbeatGroup(const StreamEntry &entry, QString *whyNot,
                                                  QStringList *skipped)
{
    HeartbeatGroup group;
    group.atMs = qint64(entry.id.ms);
    // A forwarded heartbeat (SeedHeartbeatForwarder) counts from when it was first written. Only
    // a time before the entry's own is taken: no writer can make a heartbeat last longer.
    bool sentOk = false;
    const qint64 sent = entry.value("sent").toLongLong(&sentOk);
    if (sentOk && sent > 0 && sent < group.atMs)
        group.atMs = sent;
    const QByteArray members = entry.value("members");
    if (members.isNull()) {
        // The seed's entry, by the million in a backlog: a plain client id in the default
        // room is checked on the bytes (what parseHeartbeat would accept, without a QString).
        const QByteArray client = entry.value("client");
        if (entry.value("room").isEmpty() && !client.contains('/') && isPlainStoreKey(client)) {
            group.node = entry.value("node");
            bool ok = false;
            const qint64 ttl = entry.value("ttl").toLongLong(&ok);
            if (ok && ttl > 0 && ttl <= maxHeartbeatTtlMs)
                group.ttlMs = ttl;
            const qint64 connections = entry.value("conns").toLongLong(&ok);
            group.members.append(
                {client, ok && connections > 0 && connections <= 1000000 ? connections : 0});
            return group;
        }
        const auto heartbeat = parseHeartbeat(entry, whyNot);
        if (!heartbeat)
            return std::nullopt;
        group.node = heartbeat->node;
        group.ttlMs = heartbeat->ttlMs;
        group.members.append({RoomMember{heartbeat->room, heartbeat->client}.storeKey().toUtf8(),
                              heartbeat->connections});
        return group;
    }
    group.node = entry.value("node");
    bool ok = false;
    const qint64 ttl = entry.value("ttl").toLongLong(&ok);
    if (ok && ttl > 0 && ttl <= maxHeartbeatTtlMs)
        group.ttlMs = ttl;
    const QByteArray conns = entry.value("conns");
    QByteArrayView names(members), counts(conns);
    while (!names.isEmpty()) {
        const QByteArrayView name = nextWord(names);
        const QByteArrayView count = nextWord(counts);
        if (name.isEmpty())
            continue; // doubled or trailing spaces
        HeartbeatGroup::Member member;
        if (isPlainStoreKey(name)) {
            member.name = name.toByteArray();
        } else {
            QString why;
            const auto parsed = RoomMember::fromStoreKey(QString::fromUtf8(name), &why);
            if (!parsed) {
                if (skipped)
                    skipped->append(QString::fromUtf8(name.first(std::min<qsizetype>(name.size(), 64))) +
                                    QStringLiteral(": ") + why);
                continue;
            }
            member.name = parsed->storeKey().toUtf8();
        }
        const qint64 held = count.toLongLong(&ok);
        if (ok && held > 0 && held <= 1000000)
            member.connections = held;
        group.members.append(std::move(member));
    }
    if (group.members.isEmpty()) {
        if (whyNot)
            *whyNot = QStringLiteral("no valid member in the members field");
        return std::nullopt;
    }
    return group;
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
