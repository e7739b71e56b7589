#include "RosterFilterModel.h"

#include "RosterModel.h"

namespace presence {

RosterFilterModel::RosterFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(RosterModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setDynamicSortFilter(true);
}

void RosterFilterModel::setText(const QString &text)
{
    if (m_text == text)
        return;
    m_text = text;
    invalidateFilter();
}

void RosterFilterModel::setStatusFilter(StatusFilter filter)
{
    if (m_status == filter)
        return;
    m_status = filter;
    invalidateFilter();
}

void RosterFilterModel::setRoom(const std::optional<RoomName> &room)
{
    if (m_room == room)
        return;
    m_room = room;
    m_roomText = room ? room->toString() : QString();
    invalidateFilter();
}

bool RosterFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *source = sourceModel();
    const QModelIndex first = source->index(sourceRow, RosterModel::ClientColumn, sourceParent);
    if (m_room && source->data(first, RosterModel::RoomRole).toString() != m_roomText)
        return false;
    if (m_status != StatusFilter::All) {
        const bool online = source->data(first, RosterModel::StatusRole).toInt()
                            == int(PresenceStatus::Online);
        if (online != (m_status == StatusFilter::Online))
            return false;
    }
    if (m_text.isEmpty())
        return true;
    if (first.data().toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    if (source->data(first, RosterModel::RoomRole).toString().contains(m_text, Qt::CaseInsensitive))
        return true;
    const QModelIndex nodes = source->index(sourceRow, RosterModel::NodesColumn, sourceParent);
    return nodes.data().toString().contains(m_text, Qt::CaseInsensitive);
}

} // namespace presence
