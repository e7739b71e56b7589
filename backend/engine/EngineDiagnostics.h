#pragma once

#include "engine/ClusterStatus.h"
#include "engine/ProcessorBacklog.h"
#include "engine/StoreTopology.h"

#include <QList>
#include <QString>

namespace presence {

// One node as the shared store knows it, from the small record each node publishes with every
// heartbeat (see RedisKeys::nodeRecords() and presence_alive in presence.lua). Figures a node
// did not publish are -1. A node whose liveness ran out stays listed, dead, for an hour.
struct NodeStatus {
    QString id;
    bool alive = false;
    QString version;
    qint64 startedAtMs = 0; // wall clock, ms since the epoch
    qint64 lastSeenMs = 0;  // when it last published (the store's clock); for a dead node,
                            // when it stopped
    qint64 expiresAtMs = 0; // its liveness runs out (ran out) then
    qint64 sessions = -1;   // SSE sessions it holds
    qint64 members = -1;    // members (client in a room) it holds a connection of
    double heartbeatsPerSecond = -1;
    qint64 roundTripMs = -1; // its last store round trip, as it measured it
};

// A consumer in the heartbeat processors' group. One whose node is dead keeps its pending
// entries until a living processor claims them, and leaves once it holds none.
struct ConsumerStatus {
    QString name;
    qint64 pending = 0;
    qint64 idleMs = 0;
    bool nodeAlive = false;
};

enum class NotificationState { NotApplicable, Unknown, Enabled, Disabled, Refused };

// Everything the engine can tell about itself and the deployment, in one value, read
// asynchronously (PresenceEngine::readDiagnostics): what /metrics, /api/nodes and the
// dashboard render. For Redis one read is one FCALL_RO plus what the node knows already.
struct EngineDiagnostics {
    bool valid = false;   // false: not read yet
    QString engine;       // "memory", "redis", "redis-cluster"
    QString node;         // this node's id
    QString storeAddress; // password hidden; empty for the memory engine
    qint64 takenAtMs = 0; // wall clock of this node when the read completed

    bool storeOk = true; // PresenceEngine::Health, as of the read
    QString storeState;  // "up", "connecting", "down", "degraded", "starting"
    QString storeDetail;
    qint64 roundTripMs = -1; // how long this read took (the store's round trip), -1: no store
    StoreTopology topology;  // primary, replicas, Sentinels, TLS
    ClusterStatus cluster;   // primaries and shards, on a Redis Cluster

    qint64 ttlMs = 0; // this node's TTL (alerts compare against it)
    // When the store's part below (streams, nodes, consumers, timeouts) was read: while the store
    // is away it is the last one that answered, so the nodes view keeps its rows.
    qint64 storeReadAtMs = 0;
    qint64 heartbeatStreamLength = -1;
    qint64 presenceStreamLength = -1;
    ProcessorBacklog processors;
    // This node's processor, since it started.
    quint64 heartbeatsProcessed = 0;
    quint64 processorTransitions = 0;
    quint64 entriesClaimed = 0;
    quint64 junkEntries = 0;

    NotificationState notifications = NotificationState::NotApplicable;
    bool notificationsWanted = false;
    QString notifyKeyspaceEvents; // the server's setting
    QString notificationsError;   // why CONFIG was refused

    QList<NodeStatus> nodes;         // alive first, then dead, each by id
    QList<ConsumerStatus> consumers; // the processors' group

    // OFFLINE "timeout" transitions, whoever decided them: how late each came after the
    // member's deadline (the store's record of the last 1,000), and how many were recent.
    qint64 latenessP99Ms = -1; // over the timeouts of the last latenessWindowMs; -1: none
    qint64 latenessSamples = 0;
    qint64 timeoutsRecent = 0; // in the last timeoutWindowMs
    static constexpr qint64 latenessWindowMs = 5 * 60 * 1000;
    static constexpr qint64 timeoutWindowMs = 30 * 1000;

    const NodeStatus *findNode(const QString &id) const;
    qsizetype aliveNodes() const;
    QList<NodeStatus> deadNodes() const;
    QList<ConsumerStatus> deadNodeConsumers() const;
};

// A store's record of recent timeouts: (when, how late), newest or oldest first.
struct TimeoutSample {
    qint64 atMs = 0;
    qint64 lateMs = 0;
};
// Fills latenessP99Ms, latenessSamples and timeoutsRecent from the samples, as of nowMs.
void summarizeTimeouts(EngineDiagnostics &diagnostics, const QList<TimeoutSample> &samples,
                       qint64 nowMs);

} // namespace presence
