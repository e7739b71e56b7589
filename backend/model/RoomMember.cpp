#include "RoomMember.h"

namespace presence {

QString RoomMember::storeKey() const
{
    if (room.isDefault())
        return client.toString();
    return room.wireName() + u'/' + client.toString();
}

std::optional<RoomMember> RoomMember::fromStoreKey(QStringView key, QString *whyNot)
{
    const qsizetype slash = key.indexOf(u'/');
    if (slash < 0) {
        const auto client = ClientId::fromString(key, whyNot);
        if (!client)
            return std::nullopt;
        return RoomMember(*client);
    }
    const auto room = RoomName::fromString(key.left(slash), whyNot);
    if (!room)
        return std::nullopt;
    const auto client = ClientId::fromString(key.mid(slash + 1), whyNot);
    if (!client)
        return std::nullopt;
    return RoomMember(*room, *client);
}

} // namespace presence
