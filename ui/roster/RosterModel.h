#pragma once

#include "StatusStyle.h"
#include "engine/PresenceEngine.h"
#include "model/RoomOccupancy.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>

namespace presence {

// The live roster as a table: one row per member the engine knows (a client in a room; a
// client in two rooms is two rows, each with its own status).
//
// Transitions arrive as presenceChanged() signals and are applied in batches (every
// flushIntervalMs), so 10,000 clients churning cost one dataChanged and one insert per batch
// rather than one per event. Fields that change without a transition (connections, nodes, last
// heartbeat, deadline) come from readRoster() every refreshIntervalMs. Status, reason and
// "since" come from the events only: a roster read is asynchronous on Redis and may be older
// than an event applied meanwhile.
class RosterModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ClientColumn,
        RoomColumn,
        StatusColumn,
        ReasonColumn,
        ConnectionsColumn,
        NodesColumn,
        SinceColumn,
        LastSeenColumn,
        TtlLeftColumn,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, StatusRole, ClientRole, RoomRole };

    struct Counts {
        int online = 0;
        int offline = 0;
        int connections = 0; // open connections of ONLINE members, over every node

        friend bool operator==(const Counts &, const Counts &) = default;
    };

    // Shows every room: on a Redis Cluster the node reads every shard while the model lives.
    explicit RosterModel(PresenceEngine &engine, QObject *parent = nullptr);
    ~RosterModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Over every room: a client in two rooms counts twice, once per member.
    Counts counts() const { return m_counts; }
    // One room's figures (zero for a room with no rows).
    Counts counts(const RoomName &room) const { return m_roomCounts.value(room); }
    // Rooms with rows, busiest (most ONLINE) first, the default room always included;
    // recomputed with each batch, like the counts. A room with nobody ONLINE stays listed for
    // emptyRoomLinger after its last change, then drops out (its OFFLINE rows stay in the table).
    const QList<RoomOccupancy> &rooms() const { return m_rooms; }
    // The row of the member, or null.
    const ClientPresence *find(const RoomMember &member) const;
    // The row of `client` in `room` (a room name; empty: the default room), or null.
    const ClientPresence *find(const QString &client, const QString &room = {}) const;

    void setFlushInterval(int ms) { m_flushTimer.setInterval(ms); }
    // How long a room with nobody ONLINE stays in rooms() (default 60 s; 0: it drops at once).
    void setEmptyRoomLinger(qint64 ms);
    void setRefreshInterval(int ms) { m_refreshTimer.setInterval(ms); }
    // Applies the queued transitions now.
    void flush();
    // Asks the engine for the shared roster (connections, nodes, deadlines).
    void refresh();

Q_SIGNALS:
    void countsChanged();
    // rooms() changed: a room appeared or went, or a room's counts moved.
    void roomsChanged();
    // A client went OFFLINE "timeout" `latenessMs` after its last known TTL deadline.
    void timeoutDetected(qint64 latenessMs);

private:
    void enqueue(const PresenceEvent &event);
    void reload();
    void applyRoster(const QList<ClientPresence> &roster);
    // Inserts rows for members not in the model yet (one insert for the batch).
    void appendRows(QList<ClientPresence> added);
    void recount();
    void tick();
    QVariant display(const ClientPresence &row, int column) const;
    QVariant sortValue(const ClientPresence &row, int column) const;

    // An ONLINE member with no open connection is in its grace period (or crashed, or
    // heartbeated by a program that holds no connection): how long until "left", estimated
    // from the roster read that first showed it without connections; 0 when unknown.
    qint64 graceLeftMs(const ClientPresence &row) const;

    PresenceEngine &m_engine;
    QList<ClientPresence> m_rows;
    // Wall ms at which a roster read first showed the ONLINE member with no connection.
    QHash<RoomMember, qint64> m_noConnectionSince;
    QHash<RoomMember, int> m_index;
    QList<PresenceEvent> m_pending;
    Counts m_counts;
    QHash<RoomName, Counts> m_roomCounts;
    QList<RoomOccupancy> m_rooms = occupancyOf({});
    qint64 m_emptyRoomLingerMs = 60'000;
    StatusIcons m_icons;
    QTimer m_flushTimer;
    QTimer m_refreshTimer;
    QTimer m_tickTimer;
    bool m_refreshing = false;
    quint64 m_generation = 0; // bumped on reload: a roster read from before is stale
};

} // namespace presence
