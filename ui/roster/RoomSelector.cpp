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

void RoomSelector::showPopup()
{
    m_holdOrder = true;
    QComboBox::showPopup();
}

void RoomSelector::hidePopup()
{
    QComboBox::hidePopup();
    m_holdOrder = false;
    // Later: the click that closed the list still has to pick its row from the held order.
    QMetaObject::invokeMethod(this, &RoomSelector::rebuild, Qt::QueuedConnection);
}

void RoomSelector::rebuild()
{
    const std::optional<RoomName> chosen = currentRoom();
    QList<RoomOccupancy> rooms = m_model.rooms();
    if (m_holdOrder) {
        // The listed rooms in their listed order with today's counts (0 if gone), then new ones.
        QList<RoomOccupancy> held;
        for (int i = 1; i < count(); ++i) {
            const std::optional<RoomName> listed = roomOf(itemData(i));
            if (!listed)
                continue;
            const auto found =
                std::find_if(rooms.cbegin(), rooms.cend(),
                             [&](const RoomOccupancy &room) { return room.room == *listed; });
            held.append(found == rooms.cend() ? RoomOccupancy{*listed, 0, 0} : *found);
        }
        for (const RoomOccupancy &room : std::as_const(rooms)) {
            if (std::none_of(held.cbegin(), held.cend(),
                             [&](const RoomOccupancy &listed) { return listed.room == room.room; }))
                held.append(room);
        }
        rooms = std::move(held);
    }
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
