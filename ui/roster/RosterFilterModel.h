#pragma once

#include "model/RoomName.h"

#include <QSortFilterProxyModel>

#include <optional>

namespace presence {

// Sorting by typed values (times as numbers, names in natural order) and filtering by a substring
// of the client, room or node names, a status choice and one room (or every room).
class RosterFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class StatusFilter { All, Online, Offline };

    explicit RosterFilterModel(QObject *parent = nullptr);

    void setText(const QString &text);
    void setStatusFilter(StatusFilter filter);
    // Only the rows of `room`; nullopt: every room.
    void setRoom(const std::optional<RoomName> &room);
    const std::optional<RoomName> &room() const { return m_room; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    // Names in natural order (sim-2 before sim-10); ties on the sorted column by client, then
    // room, so equal rows keep one order however the source moved them.
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QString m_text;
    StatusFilter m_status = StatusFilter::All;
    std::optional<RoomName> m_room;
    QString m_roomText; // m_room as RosterModel::RoomRole shows it
};

} // namespace presence
