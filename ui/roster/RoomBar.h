#pragma once

#include "model/RoomName.h"

#include <QLabel>
#include <QList>

namespace presence {

class RosterModel;
class RoomSelector;

// One line over the roster with the busiest rooms and their ONLINE counts
// ("Rooms: lobby 12 · r2 9 · …"), so the spread is readable without opening the selector;
// each room is a link that selects it there. Hidden while the default room is the only one.
// Under the pointer the rooms keep their places (counts still move; new rooms go last), so a
// click lands on the room aimed at; the line re-sorts when the pointer leaves.
class RoomBar final : public QLabel {
    Q_OBJECT
public:
    static constexpr int roomsShown = 8;

    RoomBar(RosterModel &model, RoomSelector &selector, QWidget *parent = nullptr);

protected:
    void enterEvent(QEnterEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    void update();

    RosterModel &m_model;
    RoomSelector &m_selector;
    bool m_holdOrder = false;
    QList<RoomName> m_order; // the rooms as last shown, in that order
};

} // namespace presence
