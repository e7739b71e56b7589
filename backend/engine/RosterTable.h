#pragma once

#include "model/PresenceEvent.h"

#include <QHash>
#include <QList>

namespace presence {

// Rows of the roster, grouped by room, so the roster of one room costs the size of that room
// (a session joining room R is shown R, not everyone).
class RosterTable {
public:
    const ClientPresence *find(const RoomMember &member) const;
    ClientPresence *find(const RoomMember &member);
    // The member's row, made (OFFLINE, never seen) when there is none.
    ClientPresence &upsert(const RoomMember &member);
    bool remove(const RoomMember &member);
    void clear();

    qsizetype size() const { return m_size; }
    qsizetype roomCount() const { return m_rooms.size(); }
    QList<RoomName> rooms() const { return m_rooms.keys(); }
    // Every row, sorted by room then client.
    QList<ClientPresence> rows() const;
    // The rows of one room, in no particular order.
    QList<ClientPresence> roomRows(const RoomName &room) const;

    template <typename Visit>
    void forEach(Visit visit) const
    {
        for (const auto &room : m_rooms) {
            for (const ClientPresence &row : room)
                visit(row);
        }
    }

private:
    QHash<RoomName, QHash<ClientId, ClientPresence>> m_rooms;
    qsizetype m_size = 0;
};

} // namespace presence
