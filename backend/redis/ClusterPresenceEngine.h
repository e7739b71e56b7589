#pragma once

#include "engine/PresenceEngine.h"
#include "redis/ClusterShards.h"
#include "redis/RedisCluster.h"
#include "redis/RedisPresenceEngine.h"
#include "redis/SeedHeartbeatForwarder.h"
#include "redis/ShardInterest.h"

#include <QHash>
#include <QTimer>
#include <memory>
#include <vector>

namespace presence {

// Presence on a Redis Cluster (docs/cluster.md): rooms sharded over ClusterShards, each shard a
// RedisPresenceEngine of its own — keys under the shard's hash tag, so every function call
// touches one slot; connections to the primary serving that slot, following it through
// failovers and migrations (ClusterSlotOwner), each reconnect re-arming that shard alone
// (library, keyspace setting, re-assert, resync) — and this engine the one PresenceEngine the
// node sees. The default room is shard 0, whose transitions go to the seed's `presence`
// stream; heartbeats written by others to the seed's `heartbeat` stream are forwarded to
// their room's shard (SeedHeartbeatForwarder).
//
// Every node runs every shard's processors and sweep, and writes to any shard; it reads a
// shard's transitions (its presence stream, the roster) only while a reader here needs them
// (follow(): a session in one of its rooms, an operator's feed, the dashboard) and a linger
// after, so a node's reads grow with its sessions' shards, not with the cluster. Ids are a shard
// stream's: a session whose rooms share a shard resumes exactly from its Last-Event-ID (that
// shard's history). One whose rooms span shards is sent a RoomCursor as its id (the last id of
// each room, each from its shard's stream) and resumes from it shard by shard (historyAcross);
// a shard whose stream no longer holds the place gets the whole session a fresh roster (the
// rule for a gap). Its sessions never compare ids of different shards
// (PresenceEngine::idsOrderedAcross).
class ClusterPresenceEngine final : public PresenceEngine {
    Q_OBJECT
public:
    struct Config {
        RedisPresenceEngine::Config shard; // keys.prefix is ignored: each shard's tag prefixes
        int shards = 16;                   // the default room's shard and shards-1 for the rest
        // A shard is read from the first reader here that needs it until this long after the
        // last one left (ShardInterest).
        qint64 lingerMs = 10000;
    };

    // `seeds`: redis:// or rediss:// naming one or more nodes of the cluster.
    ClusterPresenceEngine(const RedisUrl &seeds, Config config, QObject *parent = nullptr);
    ~ClusterPresenceEngine() override;

    void start();
    bool isReady() const;

    QString kind() const override { return QStringLiteral("redis-cluster"); }
    void setConnections(const RoomMember &member, int connections) override;
    void heartbeat(const QList<RoomMember> &members) override;
    void leave(const RoomMember &member) override;
    QList<ClientPresence> snapshot() const override;
    QList<ClientPresence> roomSnapshot(const RoomName &room) const override;
    void readRoster(RosterCallback callback) override;
    EventId lastEventId() const override;
    void history(EventId after, HistoryCallback callback) override;
    bool idsOrderedAcross(const QList<RoomName> &rooms) const override;
    EventId lastEventIdOf(const QList<RoomName> &rooms) const override;
    void historyFor(EventId after, const QList<RoomName> &rooms, HistoryCallback callback) override;
    void historyAcross(const QList<EventId> &afterPerRoom, const QList<RoomName> &rooms,
                       HistoryCallback callback) override;
    bool follow(const QList<RoomName> &rooms, std::function<void()> live) override;
    void unfollow(const QList<RoomName> &rooms) override;
    Health health() const override;
    ProcessorBacklog processorBacklog() const override;
    void readDiagnostics(const QObject *context, DiagnosticsCallback callback) override;
    void setExpiredNotificationsWanted(bool wanted) override;
    PresenceTiming timing() const override { return m_config.shard.timing; }
    void setTiming(const PresenceTiming &timing) override;

    const ClusterShards &shards() const { return m_shards; }
    RedisPresenceEngine &shard(int index) { return *m_engines.at(size_t(index)); }
    RedisPresenceEngine &shardOf(const RoomName &room) { return shard(m_shards.shardOf(room)); }
    RedisCluster &cluster() { return m_cluster; }

Q_SIGNALS:
    void readyChanged(bool ready);

private:
    void loadLibraryEverywhere();
    void holdTimeoutsEverywhere();
    // ClusterPresenceEngineDiagnostics.cpp: one read combines every shard's.
    void combineDiagnostics(const QList<EngineDiagnostics> &shards, DiagnosticsCallback callback);
    ClusterStatus clusterStatus(const QList<EngineDiagnostics> &shards) const;
    void readPrimaryKeys();
    // The one shard all these rooms are in, or -1.
    int commonShard(const QList<RoomName> &rooms) const;
    // The shards of these rooms, each once (none for no rooms: every shard).
    QList<int> shardsOf(const QList<RoomName> &rooms) const;
    void stopReadingIdleShards();

    Config m_config;
    QString m_seeds; // for logs, password hidden
    RedisCluster m_cluster;
    ClusterShards m_shards;
    std::vector<std::unique_ptr<RedisPresenceEngine>> m_engines;
    SeedHeartbeatForwarder m_forwarder;
    ShardInterest m_interest;
    QTimer m_idleCheck;
    bool m_ready = false;
    bool m_clusterWasDown = false;
    QHash<QString, qint64> m_primaryKeys; // DBSIZE by primary ("host:port"), as last read
    bool m_readingKeys = false;
};

} // namespace presence
