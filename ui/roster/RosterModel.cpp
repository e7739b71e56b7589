#include "RosterModel.h"

#include <algorithm>

#include "RelativeTime.h"

#include <QDateTime>
#include <QLocale>
#include <QPointer>
#include <QSet>

namespace presence {

namespace {
QString clockTime(qint64 ms)
{
    if (ms <= 0)
        return QStringLiteral("—");
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

bool sameRooms(const QList<RoomOccupancy> &a, const QList<RoomOccupancy> &b)
{
    return std::equal(a.cbegin(), a.cend(), b.cbegin(), b.cend(),
                      [](const RoomOccupancy &x, const RoomOccupancy &y) {
                          return x.room == y.room && x.online == y.online && x.known == y.known;
                      });
}

QString seconds(qint64 ms)
{
    return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
}
} // namespace

RosterModel::RosterModel(PresenceEngine &engine, QObject *parent)
    : QAbstractTableModel(parent)
    , m_engine(engine)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(200);
    connect(&m_flushTimer, &QTimer::timeout, this, &RosterModel::flush);
    m_refreshTimer.setInterval(1000);
    connect(&m_refreshTimer, &QTimer::timeout, this, &RosterModel::refresh);
    // The TTL countdown and the relative times move on their own; repaint those columns a few
    // times a second.
    m_tickTimer.setInterval(500);
    connect(&m_tickTimer, &QTimer::timeout, this, &RosterModel::tick);

    connect(&m_engine, &PresenceEngine::presenceChanged, this, &RosterModel::enqueue);
    connect(&m_engine, &PresenceEngine::rosterReset, this, &RosterModel::reload);
    m_engine.follow({}, {}); // each shard's rows arrive with its rosterReset
    reload();
    m_refreshTimer.start();
    m_tickTimer.start();
}

RosterModel::~RosterModel()
{
    m_engine.unfollow({});
}

int RosterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RosterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const ClientPresence *RosterModel::find(const RoomMember &member) const
{
    const auto found = m_index.constFind(member);
    return found == m_index.cend() ? nullptr : &m_rows[*found];
}

const ClientPresence *RosterModel::find(const QString &client, const QString &room) const
{
    const auto id = ClientId::fromString(client);
    const auto inRoom = room.isEmpty() ? std::optional<RoomName>(RoomName{}) : RoomName::fromString(room);
    return id && inRoom ? find(RoomMember{*inRoom, *id}) : nullptr;
}

void RosterModel::enqueue(const PresenceEvent &event)
{
    m_pending.append(event);
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void RosterModel::flush()
{
    m_flushTimer.stop();
    if (m_pending.isEmpty())
        return;
    const QList<PresenceEvent> events = std::exchange(m_pending, {});
    const qint64 ttl = m_engine.timing().ttlMs();
    int first = int(m_rows.size());
    int last = -1;
    QList<ClientPresence> added;
    QHash<RoomMember, qsizetype> addedIndex;
    for (const PresenceEvent &event : events) {
        const RoomMember member = event.member();
        m_noConnectionSince.remove(member);
        ClientPresence *row = nullptr;
        if (const auto found = m_index.constFind(member); found != m_index.cend()) {
            row = &m_rows[*found];
            first = std::min(first, *found);
            last = std::max(last, *found);
        } else if (const auto fresh = addedIndex.constFind(member); fresh != addedIndex.cend()) {
            row = &added[*fresh];
        } else {
            addedIndex.insert(member, added.size());
            added.append(ClientPresence{});
            row = &added.last();
            row->client = event.client;
            row->room = event.room;
        }
        if (event.status == PresenceStatus::Offline && event.reason == Reason::timeout
            && row->deadlineMs > 0)
            Q_EMIT timeoutDetected(event.atMs - row->deadlineMs);
        row->status = event.status;
        row->reason = event.reason;
        row->sinceMs = event.atMs;
        if (event.status == PresenceStatus::Online) {
            row->lastSeenMs = std::max(row->lastSeenMs, event.atMs);
            row->deadlineMs = std::max(row->deadlineMs, event.atMs + ttl);
            if (!event.node.isEmpty() && row->nodes.isEmpty())
                row->nodes = QStringList{event.node};
        } else {
            row->deadlineMs = 0;
            row->connections = 0;
            row->nodes.clear();
        }
    }
    if (last >= 0)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
    appendRows(std::move(added));
    recount();
}

void RosterModel::reload()
{
    ++m_generation;
    m_pending.clear();
    beginResetModel();
    m_rows = m_engine.snapshot();
    m_noConnectionSince.clear();
    m_index.clear();
    for (int i = 0; i < m_rows.size(); ++i)
        m_index.insert(m_rows[i].member(), i);
    endResetModel();
    recount();
    refresh();
}

void RosterModel::refresh()
{
    if (m_refreshing)
        return;
    m_refreshing = true;
    QPointer<RosterModel> guard(this);
    const quint64 generation = m_generation;
    m_engine.readRoster([guard, generation](QList<ClientPresence> roster) {
        if (!guard)
            return;
        guard->m_refreshing = false;
        // The re-read (connections, deadlines, last seen: they move with heartbeats, not with
        // presenceChanged) reads the whole shared roster: at most ~1,000 rows a second of the
        // deployment's Redis, so a roster of 10,000 is re-read every 10 s, a small one each second.
        guard->m_refreshTimer.setInterval(
            int(std::clamp<qsizetype>(roster.size(), 1000, 30000)));
        if (generation == guard->m_generation)
            guard->applyRoster(roster);
    });
}

void RosterModel::applyRoster(const QList<ClientPresence> &roster)
{
    // Events queued before this roster was read must not be overtaken by it.
    flush();
    QList<ClientPresence> added;
    QSet<RoomMember> seen;
    seen.reserve(roster.size());
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const ClientPresence &fresh : roster) {
        seen.insert(fresh.member());
        if (fresh.status == PresenceStatus::Online && fresh.connections == 0)
            m_noConnectionSince.insert(fresh.member(),
                                       m_noConnectionSince.value(fresh.member(), now));
        else
            m_noConnectionSince.remove(fresh.member());
        const auto found = m_index.constFind(fresh.member());
        if (found == m_index.cend()) {
            added.append(fresh);
            continue;
        }
        ClientPresence &row = m_rows[*found];
        if (row.status != fresh.status)
            continue; // an event newer than this read already moved it on
        row.connections = fresh.connections;
        row.nodes = fresh.nodes;
        row.lastSeenMs = std::max(row.lastSeenMs, fresh.lastSeenMs);
        if (fresh.status == PresenceStatus::Online)
            row.deadlineMs = fresh.deadlineMs;
    }
    // OFFLINE rows the engine has forgotten (it keeps a bounded number): drop them in one go.
    bool pruned = false;
    for (const ClientPresence &row : std::as_const(m_rows)) {
        if (row.status == PresenceStatus::Offline && !seen.contains(row.member())) {
            pruned = true;
            break;
        }
    }
    if (pruned) {
        for (auto it = m_noConnectionSince.begin(); it != m_noConnectionSince.end();)
            it = seen.contains(it.key()) ? std::next(it) : m_noConnectionSince.erase(it);
        beginResetModel();
        m_rows.removeIf([&seen](const ClientPresence &row) {
            return row.status == PresenceStatus::Offline && !seen.contains(row.member());
        });
        m_index.clear();
        for (int i = 0; i < m_rows.size(); ++i)
            m_index.insert(m_rows[i].member(), i);
        endResetModel();
    } else if (!m_rows.isEmpty()) {
        Q_EMIT dataChanged(index(0, ConnectionsColumn), index(rowCount() - 1, TtlLeftColumn));
    }
    appendRows(std::move(added));
    recount();
}

void RosterModel::appendRows(QList<ClientPresence> added)
{
    if (added.isEmpty())
        return;
    const int start = int(m_rows.size());
    beginInsertRows({}, start, start + int(added.size()) - 1);
    for (ClientPresence &row : added) {
        m_index.insert(row.member(), int(m_rows.size()));
        m_rows.append(std::move(row));
    }
    endInsertRows();
}

void RosterModel::setEmptyRoomLinger(qint64 ms)
{
    m_emptyRoomLingerMs = ms;
    recount();
}

void RosterModel::recount()
{
    Counts counts;
    QHash<RoomName, Counts> byRoom;
    QHash<RoomName, qint64> lastChange;
    for (const ClientPresence &row : std::as_const(m_rows)) {
        Counts &room = byRoom[row.room];
        qint64 &changed = lastChange[row.room];
        changed = std::max(changed, row.sinceMs);
        if (row.status == PresenceStatus::Online) {
            ++room.online;
            room.connections += row.connections;
        } else {
            ++room.offline;
        }
    }
    for (const Counts &room : std::as_const(byRoom)) {
        counts.online += room.online;
        counts.offline += room.offline;
        counts.connections += room.connections;
    }
    // Called every roster refresh too, so an empty room drops out once its linger passes.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<RoomOccupancy> rooms = occupancyOf(m_rows);
    rooms.removeIf([&](const RoomOccupancy &room) {
        return room.online == 0 && !room.room.isDefault() &&
               now - lastChange.value(room.room) >= m_emptyRoomLingerMs;
    });
    const bool roomsMoved = byRoom != m_roomCounts || !sameRooms(rooms, m_rooms);
    m_roomCounts = std::move(byRoom);
    if (roomsMoved) {
        m_rooms = std::move(rooms);
        Q_EMIT roomsChanged();
    }
    if (counts != m_counts) {
        m_counts = counts;
        Q_EMIT countsChanged();
    }
}

void RosterModel::tick()
{
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, SinceColumn), index(rowCount() - 1, TtlLeftColumn),
                           {Qt::DisplayRole});
}

QVariant RosterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const ClientPresence &row = m_rows[index.row()];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(row, column);
    case SortRole:
        return sortValue(row, column);
    case StatusRole:
        return int(row.status);
    case ClientRole:
        return row.client.toString();
    case RoomRole:
        return row.room.toString();
    case Qt::DecorationRole:
        if (column == StatusColumn)
            return m_icons.icon(row.status, row.reason);
        return {};
    case Qt::ForegroundRole:
        if (column == StatusColumn)
            return statusColor(row.status, row.reason);
        return {};
    case Qt::TextAlignmentRole:
        if (column == ConnectionsColumn || column == TtlLeftColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (column == SinceColumn || column == LastSeenColumn) {
            const qint64 ms = column == SinceColumn ? row.sinceMs : row.lastSeenMs;
            return ms > 0 ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(ms),
                                               QLocale::LongFormat)
                          : QVariant();
        }
        if ((column == ConnectionsColumn || column == TtlLeftColumn) &&
            row.status == PresenceStatus::Online && row.connections == 0 &&
            m_noConnectionSince.contains(row.member()))
            return tr("No open connection: OFFLINE \"left\" once the grace period (%1) passes "
                      "without one reopening; a member that no node holds any more (crashed) "
                      "times out when its TTL runs out instead.")
                .arg(seconds(m_engine.timing().graceMs));
        if (column == TtlLeftColumn && row.deadlineMs > 0)
            return tr("TTL deadline %1").arg(clockTime(row.deadlineMs));
        return {};
    default:
        return {};
    }
}

QVariant RosterModel::display(const ClientPresence &row, int column) const
{
    switch (column) {
    case ClientColumn:
        return row.client.toString();
    case RoomColumn:
        return row.room.toString();
    case StatusColumn:
        return statusText(row.status);
    case ReasonColumn:
        return row.reason;
    case ConnectionsColumn:
        return row.connections;
    case NodesColumn:
        return row.nodes.join(QStringLiteral(", "));
    case SinceColumn:
        return relativeTime(row.sinceMs, QDateTime::currentMSecsSinceEpoch());
    case LastSeenColumn:
        return relativeTime(row.lastSeenMs, QDateTime::currentMSecsSinceEpoch());
    case TtlLeftColumn: {
        if (row.status != PresenceStatus::Online || row.deadlineMs <= 0)
            return QStringLiteral("—");
        if (const qint64 grace = graceLeftMs(row); grace > 0)
            return tr("in grace %1").arg(seconds(grace));
        const qint64 left = row.deadlineMs - QDateTime::currentMSecsSinceEpoch();
        return left >= 0 ? seconds(left) : tr("overdue %1").arg(seconds(-left));
    }
    default:
        return {};
    }
}

qint64 RosterModel::graceLeftMs(const ClientPresence &row) const
{
    if (row.status != PresenceStatus::Online || row.connections > 0)
        return 0;
    const auto since = m_noConnectionSince.constFind(row.member());
    if (since == m_noConnectionSince.cend())
        return 0;
    // Past the grace a member that is still ONLINE waits for its TTL: the countdown shows that.
    return std::max<qint64>(
        *since + m_engine.timing().graceMs - QDateTime::currentMSecsSinceEpoch(), 0);
}

QVariant RosterModel::sortValue(const ClientPresence &row, int column) const
{
    switch (column) {
    case StatusColumn:
        return int(row.status);
    case ConnectionsColumn:
        return row.connections;
    case SinceColumn:
        return row.sinceMs;
    case LastSeenColumn:
        return row.lastSeenMs;
    case TtlLeftColumn:
        return row.status == PresenceStatus::Online ? row.deadlineMs
                                                    : std::numeric_limits<qint64>::max();
    default:
        return display(row, column);
    }
}

QVariant RosterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ClientColumn: return tr("Client");
    case RoomColumn: return tr("Room");
    case StatusColumn: return tr("Status");
    case ReasonColumn: return tr("Reason");
    case ConnectionsColumn: return tr("Conns");
    case NodesColumn: return tr("Nodes");
    case SinceColumn: return tr("Since");
    case LastSeenColumn: return tr("Last seen");
    case TtlLeftColumn: return tr("TTL left");
    default: return {};
    }
}

} // namespace presence
