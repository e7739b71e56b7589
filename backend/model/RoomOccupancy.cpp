#include "RoomOccupancy.h"

#include <QHash>

#include <algorithm>

namespace presence {

QList<RoomOccupancy> occupancyOf(const QList<ClientPresence> &rows)
{
    QHash<RoomName, RoomOccupancy> byRoom;
    byRoom.insert(RoomName{}, RoomOccupancy{});
    for (const ClientPresence &row : rows) {
        RoomOccupancy &room = byRoom[row.room];
        room.room = row.room;
        ++room.known;
        if (row.status == PresenceStatus::Online)
            ++room.online;
    }
    QList<RoomOccupancy> rooms = byRoom.values();
    std::sort(rooms.begin(), rooms.end(), [](const RoomOccupancy &a, const RoomOccupancy &b) {
        return a.online != b.online ? a.online > b.online : a.room < b.room;
    });
    return rooms;
}

} // namespace presence
