#pragma once

#include "model/PresenceEvent.h"
#include "redis/RedisReply.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <optional>

namespace presence {

// One stream entry as XRANGE / XREAD / XREADGROUP return it.
struct StreamEntry {
    QByteArray rawId;
    EventId id;
    QList<QPair<QByteArray, QByteArray>> fields;

    QByteArray value(QByteArrayView field) const; // first value of the field, or null
};

// Entries of an XRANGE reply ([[id, [f, v, …]], …]); malformed elements are skipped and counted.
QList<StreamEntry> parseStreamEntries(const RedisReply &reply, int *malformed = nullptr);
// Entries of an XREAD/XREADGROUP reply for one stream ([[name, entries]]; Nil when none).
QList<StreamEntry> parseStreamRead(const RedisReply &reply, int *malformed = nullptr);

// A heartbeat as the processor uses it. Only `client` is required (the seed's contract);
// `node`, `room`, `ttl` (ms the writer meant it to last) and `conns` (connections the writing
// node holds) are ours and optional: no room is the default room, no (or an unusable) ttl
// leaves the processor's own, no conns says nothing. The time is the entry id's.
struct Heartbeat {
    ClientId client;
    RoomName room;
    qint64 atMs = 0;
    QByteArray node;
    qint64 ttlMs = 0;       // 0: not given
    qint64 connections = 0; // 0: not given
};
// Heartbeat TTLs outside (0, this] are ignored (a typo must not keep a client for a year).
constexpr qint64 maxHeartbeatTtlMs = 24 * 3600 * 1000;
std::optional<Heartbeat> parseHeartbeat(const StreamEntry &entry, QString *whyNot = nullptr);

// The heartbeats of one entry, for presence_heartbeat_groups: one time, node and TTL for all.
// A seed-style entry (field `client`) is a group of one. Our nodes write one entry for many
// members (field `members`: member names - "client" or "room/client" - separated by spaces,
// which neither name allows; `conns`: each one's connection count on the writing node, in the
// same order, optional), so the stream, XREADGROUP and XACK carry one entry per hundreds of
// heartbeats. A field `sent` (ms) earlier than the entry's id is the time it counts from (a
// heartbeat forwarded from the seed's stream to a cluster shard's keeps its first time).
struct HeartbeatGroup {
    struct Member {
        QByteArray name; // the member's store key (RoomMember::storeKey)
        qint64 connections = 0;
    };
    qint64 atMs = 0;
    QByteArray node;
    qint64 ttlMs = 0; // 0: not given
    QList<Member> members;
};
// Members a node puts in one batched entry (about 20 bytes each: a few KiB per entry).
constexpr int heartbeatMembersPerEntry = 500;
// Null when the entry holds no valid heartbeat (whyNot says why). Invalid members of a batched
// entry are left out and listed in *skipped ("name: why"); the valid ones stand.
std::optional<HeartbeatGroup> parseHeartbeatGroup(const StreamEntry &entry, QString *whyNot = nullptr,
                                                  QStringList *skipped = nullptr);

// A presence entry, written by our functions or by anyone else: `client` and `status`
// (ONLINE|OFFLINE) are required; `reason`, `node`, `at` and `room` are optional.
std::optional<PresenceEvent> parsePresenceEntry(const StreamEntry &entry,
                                                QString *whyNot = nullptr);

} // namespace presence
