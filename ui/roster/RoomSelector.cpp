#include "RoomSelector.h"

#include "RosterModel.h"

#include <QSignalBlocker>

#include <algorithm>

namespace presence {

namespace {
// Item data: the room's name as RoomName::toString() gives it; none for "All rooms".
std::optional<RoomName> roomOf(const QVariant &data)
{
    if (!data.isValid())
        return std::nullopt;
    return RoomName::fromString(data.toString());
}
} // namespace

RoomSelector::RoomSelector(RosterModel &model, QWidget *parent)
    : QComboBox(parent)
    , m_model(model)
{
    setSizeAdjustPolicy(QComboBox::AdjustToContents);
    setMinimumContentsLength(14);
    setToolTip(tr("Show one room's members (ONLINE count in brackets, busiest first)"));
    connect(&m_model, &RosterModel::roomsChanged, this, &RoomSelector::rebuild);
    connect(this, &QComboBox::currentIndexChanged, this,
            [this] { Q_EMIT roomSelected(currentRoom()); });
    rebuild();
}

std::optional<RoomName> RoomSelector::currentRoom() const
{
    return roomOf(currentData());
}

int RoomSelector::indexOfRoom(const RoomName &room) const
{
    for (int i = 1; i < count(); ++i) {
        if (roomOf(itemData(i)) == room)
            return i;
    }
    return -1;
}

bool RoomSelector::selectRoom(const std::optional<RoomName> &room)
{
    const int index = room ? indexOfRoom(*room) : 0;
    if (index < 0)
        return false;
    setCurrentIndex(index);
    return true;
}

void RoomSelector::rebuild()
{
    const std::optional<RoomName> chosen = currentRoom();
    QList<RoomOccupancy> rooms = m_model.rooms();
    if (chosen && std::none_of(rooms.cbegin(), rooms.cend(),
                               [&](const RoomOccupancy &room) { return room.room == *chosen; }))
        rooms.append(RoomOccupancy{*chosen, 0, 0});
    // Rewritten in place: the same number of items keeps an open popup where it is.
    const QSignalBlocker blocker(this);
    const int wanted = int(rooms.size()) + 1;
    while (count() > wanted)
        removeItem(count() - 1);
    if (count() == 0)
        addItem(tr("All rooms"));
    int current = 0;
    for (int i = 0; i < rooms.size(); ++i) {
        const RoomOccupancy &room = rooms[i];
        const QString text = tr("%1 (%2)").arg(room.room.toString()).arg(room.online);
        const int item = i + 1;
        if (item < count()) {
            setItemText(item, text);
            setItemData(item, room.room.toString());
        } else {
            addItem(text, room.room.toString());
        }
        if (chosen && room.room == *chosen)
            current = item;
    }
    setCurrentIndex(current);
}

} // namespace presence
