#pragma once

#include "model/RoomName.h"

#include <QComboBox>

#include <optional>

namespace presence {

class RosterModel;

// The roster's room choice: "All rooms", then every room the roster knows with its ONLINE
// count ("lobby (12)"), busiest first. It follows RosterModel::roomsChanged(), so it moves in
// the model's batches rather than per event. The chosen room stays chosen while the list
// reorders, and stays listed (with 0) if the engine forgets it, so the filter never jumps to
// another room under the operator's eyes. While its list is open the order holds still (counts
// update in place, new rooms go last), so a click lands on the room that was aimed at; it
// re-sorts when the list closes.
class RoomSelector final : public QComboBox {
    Q_OBJECT
public:
    explicit RoomSelector(RosterModel &model, QWidget *parent = nullptr);

    // nullopt: every room.
    std::optional<RoomName> currentRoom() const;
    // Chooses `room` (nullopt: every room); false if the roster does not list it.
    bool selectRoom(const std::optional<RoomName> &room);
    // The item of `room`, or -1.
    int indexOfRoom(const RoomName &room) const;

    void showPopup() override;
    void hidePopup() override;
    bool holdsOrder() const { return m_holdOrder; }

Q_SIGNALS:
    void roomSelected(const std::optional<presence::RoomName> &room);

private:
    void rebuild();

    RosterModel &m_model;
    bool m_holdOrder = false;
};

} // namespace presence
