#include "RoomName.h"

#include "ClientId.h"

namespace presence {

std::optional<RoomName> RoomName::fromString(QStringView text, QString *whyNot)
{
    if (!isValidIdentifier(text, whyNot))
        return std::nullopt;
    if (text == defaultName())
        return RoomName{};
    return RoomName(text.toString());
}

} // namespace presence
