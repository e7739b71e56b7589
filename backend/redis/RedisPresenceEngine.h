#pragma once

#include "engine/PresenceEngine.h"
#include "engine/RosterTable.h"
#include "engine/RosterUpdates.h"
#include "redis/HeartbeatProcessor.h"
#include "redis/KeyspaceListener.h"
#include "redis/PresenceStreamReader.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"
#include "redis/StreamEntries.h"

#include <QElapsedTimer>
#include <QHash>
#include <functional>
#include <optional>
#include <QSet>
#include <QTimer>

namespace presence {

class RedisCluster;

// The redis-presence design, made correct: heartbeats go up the `heartbeat` stream, Redis
// Functions decide every transition atomically and append it to `presence`, and every node
// follows `presence` to tell its sessions. OFFLINE "timeout" comes from expired-key
// notifications when they arrive and from a sweep of the deadline index when they do not.
//
// Four connections: commands (shared, pipelined), and one each for the blocking heartbeat
// read, the blocking presence read and the keyspace subscription.
class RedisPresenceEngine final : public PresenceEngine {
    Q_OBJECT
public:
    struct Config {
        RedisKeys keys;
        QString nodeId;
        PresenceTiming timing;
        qint64 presenceMaxLen = 100000; // approximate cap of the presence stream
        qint64 offlineKeep = 10000;     // OFFLINE rows kept in the shared roster
        int sweepIntervalMs = 100;      // 0 switches the reconciler's sweep off
        int sweepBatch = 1000;
        bool keyspaceNotifications = true;
        // Members per heartbeat entry written (1..heartbeatMembersPerEntry); 1 writes the seed's
        // one-client entries, which processors before library v7 can read.
        int heartbeatEntryMembers = heartbeatMembersPerEntry;
        // Redis Cluster (ClusterPresenceEngine): this engine is one shard's. Its connections
        // go to the primary serving `clusterSlot` and follow it (ClusterSlotOwner); its keys
        // carry the shard's hash tag (keys.prefix). Null: one Redis, or a Sentinel group.
        RedisCluster *cluster = nullptr;
        int clusterSlot = -1;
        QByteArray shardName = {}; // in connection names ("presence:commands:<node>:<shard>")
        // Read the presence stream from the start. A cluster shard starts without: its node
        // follows it once a reader needs it (ClusterPresenceEngine).
        bool followFromStart = true;
    };

    RedisPresenceEngine(const RedisUrl &url, Config config, QObject *parent = nullptr);
    ~RedisPresenceEngine() override;

    // Connects (and keeps reconnecting); the engine is ready once the library is loaded.
    void start();
    bool isReady() const { return m_ready; }

    QString kind() const override { return QStringLiteral("redis"); }
    void setConnections(const RoomMember &member, int connections) override;
    void heartbeat(const QList<RoomMember> &members) override;
    void leave(const RoomMember &member) override;
    QList<ClientPresence> snapshot() const override;
    QList<ClientPresence> roomSnapshot(const RoomName &room) const override;
    void readRoster(RosterCallback callback) override;
    // Live once the roster was first read (every room; a cluster shard: once followed): a
    // reader that comes earlier waits for it. Told an empty roster instead, it never heard of
    // the members already ONLINE (the first read changes the copy without telling anyone).
    bool follow(const QList<RoomName> &rooms, std::function<void()> live) override;
    EventId lastEventId() const override { return m_downstream.position(); }
    void history(EventId after, HistoryCallback callback) override;
    Health health() const override;
    ProcessorBacklog processorBacklog() const override { return m_processor.backlog(); }
    void readDiagnostics(const QObject *context, DiagnosticsCallback callback) override;
    void setExpiredNotificationsWanted(bool wanted) override;
    PresenceTiming timing() const override { return m_config.timing; }
    void setTiming(const PresenceTiming &timing) override;

    // No timeouts from this node for a TTL and a heartbeat period from now: heartbeats could
    // not reach Redis for a while (a cluster that answered CLUSTERDOWN holds them back), so
    // deadlines that pass meanwhile say nothing of the clients. Extends a hold under way.
    void holdTimeouts();

    // What this node's record (presence:nodes, read by the nodes view) counts: this engine's
    // members and heartbeats written, unless a source is set: a cluster's shard 0, whose
    // record is the one read, counts every shard's.
    struct NodeFigures {
        qint64 members = 0;
        quint64 heartbeatsWritten = 0;
    };
    NodeFigures ownNodeFigures() const;
    void setNodeFigures(std::function<NodeFigures()> source) { m_nodeFigures = std::move(source); }

    RedisConnection &commands() { return m_commands; }
    KeyspaceListener &keyspace() { return m_keyspace; }
    const HeartbeatProcessor &processor() const { return m_processor; }
    // What this node holds of the roster: rooms with a row, and members ONLINE.
    qsizetype mirroredRooms() const { return m_mirror.roomCount(); }
    qsizetype onlineMembers() const;
    const Config &config() const { return m_config; }

    // Reading the presence stream (RedisPresenceEngineDownstream.cpp). Unfollowed, the engine
    // still writes (heartbeats, leaves), processes heartbeats and sweeps, but reads no
    // transition: snapshot() is empty and presenceChanged silent. followStream() reads the roster
    // and the stream's position afresh, then follows: true when live already (`live` unused),
    // false and `live` runs once it is (not at all if unfollowed first).
    bool followStream(std::function<void()> live);
    void unfollowStream();
    bool isLive() const { return m_live; }
    quint64 resyncs() const { return m_resyncs; }

Q_SIGNALS:
    void readyChanged(bool ready);

private:
    void onCommandsStateChanged(RedisConnection::State state, const QString &error);
    void prepare();
    void loadLibrary();
    void firstSync();
    void syncDownstream(std::function<void()> done);
    void restoreAfterReconnect();
    void checkForGap();
    void resync(const QString &why);
    void registerLocalClients();
    void becomeReady();
    void applyEntries(const QList<PresenceEvent> &events);
    void sweep();
    void sweepNow();
    bool holdingTimeouts();
    // When a sweep or timeout sent now turns stale (Redis' clock, ms), if known.
    std::optional<qint64> staleAfter() const;
    void expire(const QList<RoomMember> &members);
    void markNodeAlive();
    // FCALL <function> <declared keys> P maxlen keep: how every transition function begins.
    QList<QByteArray> call(const char *function) const;
    void connectMember(const RoomMember &member, int connections);
    void logIfError(const char *what, const RedisReply &reply);

    Config m_config;
    QByteArray m_node;
    RedisConnection m_commands;
    RedisConnection m_heartbeatReader;
    RedisConnection m_presenceReader;
    RedisConnection m_subscriber;
    HeartbeatProcessor m_processor;
    PresenceStreamReader m_downstream;
    KeyspaceListener m_keyspace;

    RosterTable m_mirror;
    OfflineRowBound m_mirrorBound{m_config.offlineKeep};
    // This node's members: their connection counts, and when each first opened (members
    // registered at readiness go in that order, so their ONLINEs follow the clients' arrival).
    struct LocalMember {
        int connections = 0;
        quint64 openedOrder = 0;
    };
    QHash<RoomMember, LocalMember> m_local;
    quint64 m_openedSoFar = 0;
    int localConnections(const RoomMember &member) const { return m_local.value(member).connections; }
    QSet<RoomMember> m_pendingLeaves; // leaves decided while Redis was unreachable
    bool m_ready = false;
    bool m_synced = false;
    bool m_following = true;          // Config::followFromStart, then (un)followStream()
    bool m_live = false;              // following, and the mirror synced with the stream
    quint64 m_followGeneration = 0;   // each sync's; a reply of an older one is void
    QList<std::function<void()>> m_whenLive;
    bool m_sweeping = false;
    bool m_sweepAgain = false; // a due key expired while a sweep was in flight
    qint64 m_redisClockOffsetMs = 0; // Redis' clock minus ours (skewed hosts trim right)
    bool m_redisClockMeasured = false;
    quint64 m_resyncs = 0;           // roster re-reads after a gap in the presence stream
    qint64 m_startedAtMs = 0;
    // After a reconnect, no timeouts until then (see restoreAfterReconnect): wall ms, 0: none.
    qint64 m_quietUntilMs = 0;
    qint64 m_roundTripMs = -1;       // presence_alive's last round trip
    quint64 m_heartbeatsWritten = 0; // heartbeat entries written, for heartbeats/s
    std::function<NodeFigures()> m_nodeFigures; // null: ownNodeFigures()
    quint64 m_rateCount = 0;
    qint64 m_rateSinceMs = 0;
    double m_heartbeatsPerSecond = 0;
    EngineDiagnostics m_lastStoreRead; // the store's part of the last diagnostics that answered
    QString m_problem;               // why the engine is not ready, beyond the connection
    QTimer m_sweepTimer;
    QTimer m_retryTimer;
    QTimer m_idleAliveTimer; // liveness (and the node record) of a node that holds no one
};

} // namespace presence
