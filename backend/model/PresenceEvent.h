#pragma once

#include "ClientId.h"
#include "EventId.h"
#include "RoomMember.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace presence {

enum class PresenceStatus { Offline, Online };

QString statusText(PresenceStatus status);
std::optional<PresenceStatus> presenceStatusFromString(QStringView text);

// Why a transition happened. Kept as text on the wire ("reason" field).
namespace Reason {
inline const QString connected = QStringLiteral("connected"); // first connection opened
inline const QString heartbeat = QStringLiteral("heartbeat"); // heartbeat seen while offline
inline const QString left = QStringLiteral("left");           // last connection closed, grace passed
inline const QString timeout = QStringLiteral("timeout");     // heartbeats stopped, TTL passed
} // namespace Reason

// One transition of one client, as every engine reports it.
struct PresenceEvent {
    EventId id;
    ClientId client;
    PresenceStatus status = PresenceStatus::Offline;
    QString reason;
    qint64 atMs = 0; // wall-clock time of the transition, ms since the epoch
    QString node;    // the node that produced it, when known
    RoomName room;   // the room the transition is in
    // A correction after a roster resync: the member's state as of `id` (the node's position
    // in the presence stream, which its sessions have seen already), differing from what the
    // node had told them. Not in the stream; sessions must get it despite the old id.
    bool correction = false;

    RoomMember member() const { return {room, client}; }
    // The SSE data: "room" appears only outside the default room (the seed's events unchanged).
    QByteArray toJson() const;
    // The same appended to `out`, with `trailingMembers` (raw JSON members, each led by a
    // comma) before the closing brace.
    void appendJson(QByteArray &out, QByteArrayView trailingMembers = {}) const;
};

// One row of the roster: what is known of a client now.
struct ClientPresence {
    ClientId client;
    RoomName room;
    PresenceStatus status = PresenceStatus::Offline;
    QString reason;          // reason of the last transition
    qint64 sinceMs = 0;      // wall-clock time of the last transition
    qint64 lastSeenMs = 0;   // wall-clock time of the last heartbeat or connection
    qint64 deadlineMs = 0;   // wall-clock time its TTL runs out (0 when offline)
    int connections = 0;     // open connections, over every node known
    QStringList nodes;       // nodes holding a connection

    RoomMember member() const { return {room, client}; }
};

} // namespace presence

Q_DECLARE_METATYPE(presence::PresenceEvent)
