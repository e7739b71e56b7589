#include "SimulatedClientModel.h"

#include "SimulatedClient.h"
#include "SimulatedClientPool.h"


namespace presence {

SimulatedClientModel::SimulatedClientModel(SimulatedClientPool &pool, QObject *parent)
    : QAbstractTableModel(parent)
    , m_rows(pool.clients())
{
    connect(&pool, &SimulatedClientPool::clientAdded, this, &SimulatedClientModel::onAdded);
    connect(&pool, &SimulatedClientPool::clientChanged, this, &SimulatedClientModel::onChanged);
    connect(&pool, &SimulatedClientPool::clientAboutToBeRemoved, this,
            &SimulatedClientModel::onRemoved);
    m_counterTimer.setInterval(1000);
    connect(&m_counterTimer, &QTimer::timeout, this, [this] {
        if (!m_rows.isEmpty())
            Q_EMIT dataChanged(index(0, EventsColumn), index(rowCount() - 1, EventsColumn),
                               {Qt::DisplayRole});
    });
    m_counterTimer.start();
}

int SimulatedClientModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SimulatedClientModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void SimulatedClientModel::onAdded(SimulatedClient *client)
{
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(client);
    endInsertRows();
}

void SimulatedClientModel::onChanged(SimulatedClient *client)
{
    const int row = int(m_rows.indexOf(client));
    if (row >= 0)
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void SimulatedClientModel::onRemoved(SimulatedClient *client)
{
    const int row = int(m_rows.indexOf(client));
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

QVariant SimulatedClientModel::data(const QModelIndex &index, int role) const
{
    const SimulatedClient *client = m_rows.value(index.row());
    if (!client)
        return {};
    if (role == Qt::ToolTipRole && !client->error().isEmpty())
        return client->error();
    if (role == Qt::TextAlignmentRole && index.column() == EventsColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn: return client->name();
    case RoomsColumn: {
        QStringList rooms;
        for (const RoomName &room : client->rooms())
            rooms.append(room.toString());
        return rooms.join(QStringLiteral(", "));
    }
    case StateColumn: return SimulatedClient::stateText(client->state());
    case EventsColumn: return client->eventsReceived();
    case TargetColumn:
        return client->targetsThisNode() ? tr("this node") : client->base().toDisplayString();
    default: return {};
    }
}

QVariant SimulatedClientModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn: return tr("Client");
    case RoomsColumn: return tr("Room");
    case StateColumn: return tr("State");
    case EventsColumn: return tr("Events");
    case TargetColumn: return tr("Target");
    default: return {};
    }
}

} // namespace presence
