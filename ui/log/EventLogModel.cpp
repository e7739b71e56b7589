#include "EventLogModel.h"

#include "RelativeTime.h"

#include <QColor>
#include <QDateTime>

namespace presence {

EventLogModel::EventLogModel(PresenceEngine &engine, qsizetype capacity, QObject *parent)
    : QAbstractTableModel(parent)
    , m_capacity(std::max<qsizetype>(capacity, 1))
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(200);
    connect(&m_flushTimer, &QTimer::timeout, this, &EventLogModel::flush);
    connect(&engine, &PresenceEngine::presenceChanged, this, &EventLogModel::enqueue);
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int EventLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void EventLogModel::enqueue(const PresenceEvent &event)
{
    m_pending.push_back(event);
    if (qsizetype(m_pending.size()) > m_capacity)
        m_pending.pop_front(); // would be pushed out of the log on arrival anyway
    if (m_paused) {
        Q_EMIT heldCountChanged(heldCount());
        return;
    }
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void EventLogModel::flush()
{
    m_flushTimer.stop();
    if (m_paused || m_pending.empty())
        return;
    const qsizetype incoming = qsizetype(m_pending.size());
    const qsizetype overflow = qsizetype(m_rows.size()) + incoming - m_capacity;
    if (overflow > 0) {
        const int last = int(m_rows.size()) - 1;
        beginRemoveRows({}, last - int(overflow) + 1, last);
        m_rows.resize(m_rows.size() - size_t(overflow));
        endRemoveRows();
    }
    beginInsertRows({}, 0, int(incoming) - 1);
    for (PresenceEvent &event : m_pending)
        m_rows.push_front(std::move(event));
    m_pending.clear();
    endInsertRows();
    Q_EMIT heldCountChanged(0);
}

void EventLogModel::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    Q_EMIT pausedChanged(paused);
    if (!paused)
        flush();
}

void EventLogModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    endResetModel();
    Q_EMIT heldCountChanged(0);
}

namespace {
const QString alertNode = QStringLiteral("⚠ alert");
} // namespace

void EventLogModel::addAlertLine(const QString &text, qint64 atMs)
{
    PresenceEvent line;
    line.reason = text;
    line.atMs = atMs;
    line.node = alertNode;
    enqueue(line);
}

bool EventLogModel::isAlertLine(const PresenceEvent &row)
{
    return row.client.toString().isEmpty() && row.node == alertNode;
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const PresenceEvent &row = m_rows[size_t(index.row())];
    if (isAlertLine(row) && index.column() != TimeColumn) {
        if (role == Qt::ForegroundRole)
            return QColor(0xd6, 0x45, 0x45);
        if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
            switch (index.column()) {
            case StatusColumn: return tr("ALERT");
            case ReasonColumn: return row.reason;
            case NodeColumn: return row.node;
            default: return QString();
            }
        }
        return {};
    }
    if (role == Qt::DecorationRole && index.column() == StatusColumn)
        return m_icons.icon(row.status, row.reason);
    if (role == Qt::ForegroundRole && index.column() == StatusColumn)
        return statusColor(row.status, row.reason);
    // A log reads best in clock times; how long ago goes beside the full date in the tooltip.
    if (role == Qt::ToolTipRole && index.column() == TimeColumn)
        return QDateTime::fromMSecsSinceEpoch(row.atMs).toString(Qt::ISODateWithMs) +
               QStringLiteral(" (") + relativeTime(row.atMs, QDateTime::currentMSecsSinceEpoch()) +
               QLatin1Char(')');
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IdColumn: return row.id.toString();
    case TimeColumn:
        return QDateTime::fromMSecsSinceEpoch(row.atMs).toString(QStringLiteral("HH:mm:ss.zzz"));
    case ClientColumn: return row.client.toString();
    case RoomColumn: return row.room.toString();
    case StatusColumn: return statusText(row.status);
    case ReasonColumn: return row.reason;
    case NodeColumn: return row.node;
    default: return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IdColumn: return tr("Entry id");
    case TimeColumn: return tr("Time");
    case ClientColumn: return tr("Client");
    case RoomColumn: return tr("Room");
    case StatusColumn: return tr("Status");
    case ReasonColumn: return tr("Reason");
    case NodeColumn: return tr("Node");
    default: return {};
    }
}

} // namespace presence
