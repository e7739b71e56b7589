#include "RosterTable.h"

#include <algorithm>

namespace presence {

const ClientPresence *RosterTable::find(const RoomMember &member) const
{
    const auto room = m_rooms.constFind(member.room);
    if (room == m_rooms.cend())
        return nullptr;
    const auto row = room->constFind(member.client);
    return row == room->cend() ? nullptr : &*row;
}

ClientPresence *RosterTable::find(const RoomMember &member)
{
    const auto room = m_rooms.find(member.room);
    if (room == m_rooms.end())
        return nullptr;
    const auto row = room->find(member.client);
    return row == room->end() ? nullptr : &*row;
}

ClientPresence &RosterTable::upsert(const RoomMember &member)
{
    QHash<ClientId, ClientPresence> &room = m_rooms[member.room];
    auto row = room.find(member.client);
    if (row == room.end()) {
        ClientPresence fresh;
        fresh.client = member.client;
        fresh.room = member.room;
        row = room.insert(member.client, fresh);
        ++m_size;
    }
    return *row;
}

bool RosterTable::remove(const RoomMember &member)
{
    const auto room = m_rooms.find(member.room);
    if (room == m_rooms.end() || !room->remove(member.client))
        return false;
    --m_size;
    if (room->isEmpty())
        m_rooms.erase(room);
    return true;
}

void RosterTable::clear()
{
    m_rooms.clear();
    m_size = 0;
}

QList<ClientPresence> RosterTable::rows() const
{
    QList<ClientPresence> all;
    all.reserve(m_size);
    forEach([&all](const ClientPresence &row) { all.append(row); });
    std::sort(all.begin(), all.end(), [](const ClientPresence &a, const ClientPresence &b) {
        return a.member() < b.member();
    });
    return all;
}

QList<ClientPresence> RosterTable::roomRows(const RoomName &room) const
{
    const auto found = m_rooms.constFind(room);
    return found == m_rooms.cend() ? QList<ClientPresence>{} : found->values();
}

} // namespace presence
