#pragma once

#include "EventId.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace presence {

// The Last-Event-ID of a session whose rooms' event ids come from different streams (rooms of
// several Redis Cluster shards, each shard's stream with ids of its own primary's clock): the
// last id the session was sent of each room, in the order of the session's rooms. One id cannot
// say where such a client stands; this can, so its resume replays each room from its own
// place. Opaque to clients: "r:<id>,<id>,…".
struct RoomCursor {
    static constexpr qsizetype maxRooms = 64;

    QList<EventId> ids;

    // nullopt for anything but the form above (a plain id included), or more than maxRooms ids.
    static std::optional<RoomCursor> parse(QByteArrayView text);
    QByteArray toByteArray() const;

    friend bool operator==(const RoomCursor &, const RoomCursor &) = default;
};

} // namespace presence
