#include "NodesModel.h"

#include "RelativeTime.h"
#include "engine/DiagnosticsMonitor.h"

#include <QColor>
#include <QDateTime>
#include <QLocale>

namespace presence {

NodesModel::NodesModel(const DiagnosticsMonitor &monitor, QObject *parent)
    : QAbstractTableModel(parent)
    , m_monitor(monitor)
{
    connect(&monitor, &DiagnosticsMonitor::updated, this, &NodesModel::reload);
    reload();
}

void NodesModel::reload()
{
    beginResetModel();
    m_diagnostics = m_monitor.last();
    endResetModel();
}

int NodesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_diagnostics.nodes.size());
}

int NodesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

int NodesModel::rowOf(const QString &id) const
{
    for (int row = 0; row < rowCount(); ++row) {
        if (node(row).id == id)
            return row;
    }
    return -1;
}

const ConsumerStatus *NodesModel::consumerOf(const QString &id) const
{
    for (const ConsumerStatus &consumer : m_diagnostics.consumers) {
        if (consumer.name == id)
            return &consumer;
    }
    return nullptr;
}

namespace {
QString figure(qint64 value)
{
    return value < 0 ? QStringLiteral("—") : QLocale().toString(value);
}
} // namespace

QVariant NodesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const NodeStatus &n = node(index.row());
    const qint64 now = m_diagnostics.takenAtMs;
    const ConsumerStatus *consumer = consumerOf(n.id);
    if (role == Qt::ToolTipRole && index.column() == NodeColumn && n.id == m_diagnostics.node)
        return tr("This node: the dashboard runs on it");
    if (role == Qt::ForegroundRole && (index.column() == StateColumn || !n.alive))
        return n.alive ? QColor(0x2f, 0xa8, 0x4f) : QColor(0xd6, 0x45, 0x45);
    if (role == Qt::ToolTipRole) {
        if (index.column() == StartedColumn && n.startedAtMs > 0)
            return QDateTime::fromMSecsSinceEpoch(n.startedAtMs).toString(Qt::ISODate);
        if (index.column() == LastSeenColumn || index.column() == StateColumn)
            return n.alive
                       ? tr("Published its record %1; alive until %2")
                             .arg(relativeTime(n.lastSeenMs, now),
                                  QDateTime::fromMSecsSinceEpoch(n.expiresAtMs)
                                      .toString(QStringLiteral("HH:mm:ss")))
                       : tr("Stopped at %1: its liveness ran out at %2 and was not renewed")
                             .arg(
                                 QDateTime::fromMSecsSinceEpoch(n.lastSeenMs).toString(Qt::ISODate),
                                 QDateTime::fromMSecsSinceEpoch(n.expiresAtMs)
                                     .toString(QStringLiteral("HH:mm:ss")));
        if (index.column() == ConsumerColumn)
            return tr("Its consumer in the processors' group: heartbeats delivered to it and not "
                      "acknowledged. A dead node's are claimed by the living after 1 s; the "
                      "consumer leaves once it holds none.");
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() >= SessionsColumn &&
        index.column() <= HeartbeatsColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NodeColumn:
        return n.id == m_diagnostics.node ? tr("%1 (here)").arg(n.id) : n.id;
    case StateColumn:
        return n.alive ? tr("● alive") : tr("✕ dead %1").arg(relativeTime(n.lastSeenMs, now));
    case SessionsColumn:
        return figure(n.sessions);
    case MembersColumn:
        return figure(n.members);
    case HeartbeatsColumn:
        return n.heartbeatsPerSecond < 0 ? QStringLiteral("—")
                                         : QLocale().toString(n.heartbeatsPerSecond, 'f', 1);
    case VersionColumn:
        return n.version.isEmpty() ? QStringLiteral("—") : n.version;
    case StartedColumn:
        return n.startedAtMs > 0 ? relativeTime(n.startedAtMs, now) : QStringLiteral("—");
    case LastSeenColumn:
        return relativeTime(n.lastSeenMs, now);
    case RoundTripColumn:
        return n.roundTripMs < 0 ? QStringLiteral("—") : tr("%1 ms").arg(n.roundTripMs);
    case ConsumerColumn:
        if (!consumer)
            return tr("none");
        return tr("%1 pending · idle %2")
            .arg(consumer->pending)
            .arg(relativeTime(now - consumer->idleMs, now).remove(QStringLiteral(" ago")));
    default:
        return {};
    }
}

QVariant NodesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole) {
        switch (section) {
        case RoundTripColumn:
            return tr("The node's last Redis round trip, as it measured it");
        case HeartbeatsColumn:
            return tr("Heartbeat entries the node writes per second");
        case MembersColumn:
            return tr("Members (a client in a room) it holds a connection of");
        default:
            return {};
        }
    }
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NodeColumn:
        return tr("Node");
    case StateColumn:
        return tr("State");
    case SessionsColumn:
        return tr("Sessions");
    case MembersColumn:
        return tr("Members");
    case HeartbeatsColumn:
        return tr("HB/s");
    case VersionColumn:
        return tr("Version");
    case StartedColumn:
        return tr("Started");
    case LastSeenColumn:
        return tr("Last seen");
    case RoundTripColumn:
        return tr("RTT");
    case ConsumerColumn:
        return tr("Consumer");
    default:
        return {};
    }
}

} // namespace presence
