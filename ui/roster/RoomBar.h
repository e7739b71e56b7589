#pragma once

#include <QLabel>

namespace presence {

class RosterModel;
class RoomSelector;

// One line over the roster with the busiest rooms and their ONLINE counts
// ("Rooms: lobby 12 · r2 9 · …"), so the spread is readable without opening the selector;
// each room is a link that selects it there. Hidden while the default room is the only one.
class RoomBar final : public QLabel {
    Q_OBJECT
public:
    static constexpr int roomsShown = 8;

    RoomBar(RosterModel &model, RoomSelector &selector, QWidget *parent = nullptr);

private:
    void update();

    RosterModel &m_model;
    RoomSelector &m_selector;
};

} // namespace presence
