#pragma once

#include "PresenceEvent.h"

#include <QList>

namespace presence {

// How full a room is: what GET /api/rooms and the dashboard's room selector show.
struct RoomOccupancy {
    RoomName room;
    qint64 online = 0;
    qint64 known = 0; // ONLINE or OFFLINE rows kept for the room
};

// Rooms of the rows, busiest first (ties by name), the default room included even when empty.
QList<RoomOccupancy> occupancyOf(const QList<ClientPresence> &rows);

} // namespace presence
