#include "RoomBar.h"

#include "RoomSelector.h"
#include "RosterModel.h"

#include <algorithm>

namespace presence {

RoomBar::RoomBar(RosterModel &model, RoomSelector &selector, QWidget *parent)
    : QLabel(parent)
    , m_model(model)
    , m_selector(selector)
{
    setTextFormat(Qt::RichText);
    setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    setToolTip(tr("Busiest rooms with their ONLINE members; click one to show only it"));
    connect(this, &QLabel::linkActivated, this,
            [this](const QString &room) { m_selector.selectRoom(RoomName::fromString(room)); });
    connect(&m_model, &RosterModel::roomsChanged, this, &RoomBar::update);
    connect(&m_selector, &RoomSelector::roomSelected, this, &RoomBar::update);
    update();
}

void RoomBar::enterEvent(QEnterEvent *event)
{
    m_holdOrder = true;
    QLabel::enterEvent(event);
}

void RoomBar::leaveEvent(QEvent *event)
{
    m_holdOrder = false;
    QLabel::leaveEvent(event);
    update();
}

void RoomBar::update()
{
    QStringList shown;
    QList<RoomName> order;
    int listed = 0;
    int more = 0;
    const std::optional<RoomName> chosen = m_selector.currentRoom();
    QList<RoomOccupancy> rooms = m_model.rooms();
    if (m_holdOrder) {
        // The rooms shown keep their places with today's counts (0 if gone); the rest follow.
        QList<RoomOccupancy> held;
        for (const RoomName &name : std::as_const(m_order)) {
            const auto found =
                std::find_if(rooms.cbegin(), rooms.cend(),
                             [&](const RoomOccupancy &room) { return room.room == name; });
            held.append(found == rooms.cend() ? RoomOccupancy{name, 0, 1} : *found);
        }
        for (const RoomOccupancy &room : std::as_const(rooms)) {
            if (!m_order.contains(room.room))
                held.append(room);
        }
        rooms = std::move(held);
    }
    for (const RoomOccupancy &room : std::as_const(rooms)) {
        if (room.known == 0)
            continue; // the empty default room: nothing to see there
        ++listed;
        if (shown.size() == roomsShown) {
            ++more;
            continue;
        }
        order.append(room.room);
        const QString name = room.room.toString().toHtmlEscaped();
        // The room shown is plain text; the others are links to it.
        shown.append(chosen == room.room
                         ? QStringLiteral("<b>%1&nbsp;%2</b>").arg(name).arg(room.online)
                         : QStringLiteral("<a href=\"%1\">%1</a>&nbsp;<b>%2</b>")
                               .arg(name)
                               .arg(room.online));
    }
    m_order = std::move(order);
    const bool onlyDefault = listed == 0 || (listed == 1 && m_model.rooms().size() == 1);
    setVisible(!onlyDefault);
    if (onlyDefault)
        return;
    QString text =
        tr("Rooms:") + QStringLiteral(" ") + shown.join(QStringLiteral(" &nbsp;·&nbsp; "));
    if (more > 0)
        text += QStringLiteral(" &nbsp;") + tr("… %n more in the selector", nullptr, more);
    setText(text);
}

} // namespace presence
