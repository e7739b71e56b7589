#include "RoomCursor.h"

namespace presence {

namespace {
constexpr QByteArrayView prefix = "r:";
} // namespace

std::optional<RoomCursor> RoomCursor::parse(QByteArrayView text)
{
    if (!text.startsWith(prefix))
        return std::nullopt;
    text = text.sliced(prefix.size());
    RoomCursor cursor;
    while (true) {
        const qsizetype comma = text.indexOf(',');
        const QByteArrayView part = comma < 0 ? text : text.first(comma);
        // An id is always "<ms>-<seq>" here: a bare number is not one this server wrote.
        if (!part.contains('-') || cursor.ids.size() == maxRooms)
            return std::nullopt;
        const std::optional<EventId> id = EventId::parse(part);
        if (!id)
            return std::nullopt;
        cursor.ids.append(*id);
        if (comma < 0)
            return cursor;
        text = text.sliced(comma + 1);
    }
}

QByteArray RoomCursor::toByteArray() const
{
    QByteArray out(prefix.data(), prefix.size());
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i > 0)
            out += ',';
        out += ids[i].toByteArray();
    }
    return out;
}

} // namespace presence
