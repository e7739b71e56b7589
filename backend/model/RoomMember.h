#pragma once

#include "ClientId.h"
#include "RoomName.h"

#include <QStringView>

#include <optional>

namespace presence {

// The unit presence is kept for: one client in one room. A client in two rooms is two
// members, each ONLINE or OFFLINE on its own, so leaving one room leaves the other alone.
struct RoomMember {
    RoomName room;
    ClientId client;

    RoomMember() = default;
    // A client on its own is a member of the default room (the seed's contract).
    RoomMember(const ClientId &member) : client(member) {} // NOLINT(google-explicit-constructor)
    RoomMember(RoomName inRoom, ClientId member) : room(std::move(inRoom)), client(std::move(member)) {}

    // The member's name in Redis keys and hash fields: the client id in the default room,
    // "room/client" in others ('/' is in neither rule, so the split is unambiguous).
    QString storeKey() const;
    static std::optional<RoomMember> fromStoreKey(QStringView key, QString *whyNot = nullptr);

    friend bool operator==(const RoomMember &, const RoomMember &) = default;
    friend bool operator<(const RoomMember &a, const RoomMember &b)
    {
        return a.room == b.room ? a.client < b.client : a.room < b.room;
    }
    friend size_t qHash(const RoomMember &member, size_t seed = 0)
    {
        return qHashMulti(seed, member.room, member.client);
    }
};

} // namespace presence
