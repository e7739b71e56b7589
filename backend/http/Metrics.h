#pragma once

#include "engine/Alerts.h"
#include "engine/EngineDiagnostics.h"
#include "engine/ProcessorBacklog.h"
#include "model/PresenceEvent.h"

#include <QByteArray>
#include <QHash>
#include <QString>

namespace presence {

// Counters behind GET /metrics. Plain members: one event loop touches them.
struct Metrics {
    quint64 sessionsOpened = 0;
    quint64 sessionsClosedByClient = 0;
    quint64 sessionsDroppedSlowReader = 0;
    quint64 sessionsDroppedWriteFailed = 0;
    quint64 sessionsDroppedDeadPeer = 0;      // unacknowledged for the peer timeout
    quint64 sessionsDroppedStalledReader = 0; // receive window shut for the peer timeout
    quint64 eventsSent = 0;
    quint64 eventWrites = 0;      // socket writes carrying live events (coalesced)
    quint64 requestsRejected = 0; // 4xx answers
    quint64 sessionsRefused = 0;  // over the session limits (429/503)
    QHash<QString, quint64> transitionsByStatusAndReason; // "ONLINE/connected" → count

    void recordTransition(const PresenceEvent &event);
};

// Point-in-time values rendered beside the counters.
struct MetricsGauges {
    qint64 sessions = 0;
    qint64 onlineClients = 0;
    qint64 knownClients = 0;
    qint64 localClients = 0;
    bool heartbeatsPaused = false;
    qint64 connections = 0;
    quint64 connectionsRefused = 0;
    quint64 connectionsClosedIdle = 0;
    quint64 connectionsClosedOversized = 0;
    QString engine;
    QString node;
    qint64 rooms = 0;                           // rooms with a row in this node's roster
    QList<QPair<QString, qint64>> busiestRooms; // (room, online), busiest first, bounded
    ProcessorBacklog processors;                // rendered only when known
    EngineDiagnostics diagnostics;              // nodes, store, timeouts: rendered when valid
    QList<Alert> alerts;                        // the active ones (every kind is rendered)
};

QByteArray renderPrometheus(const Metrics &metrics, const MetricsGauges &gauges);

} // namespace presence
