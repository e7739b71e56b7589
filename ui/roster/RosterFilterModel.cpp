#include "RosterFilterModel.h"

#include "NaturalOrder.h"
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

bool RosterFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const QVariant a = left.data(sortRole());
    const QVariant b = right.data(sortRole());
    int order = 0;
    if (a.typeId() == QMetaType::QString && b.typeId() == QMetaType::QString)
        order = naturalCompare(a.toString(), b.toString());
    else if (const auto compared = QVariant::compare(a, b); compared == QPartialOrdering::Less)
        order = -1;
    else if (compared == QPartialOrdering::Greater)
        order = 1;
    if (order != 0)
        return order < 0;
    for (const int role : {int(RosterModel::ClientRole), int(RosterModel::RoomRole)}) {
        order = naturalCompare(left.data(role).toString(), right.data(role).toString());
        if (order != 0)
            return order < 0;
    }
    return false;
}

} // namespace presence
