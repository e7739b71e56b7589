#pragma once

#include "Clock.h"
#include "DeadlineQueue.h"
#include "PresenceEngine.h"

#include <QHash>
#include <QTimer>

namespace presence {

// This node's side of presence: counts the open connections of each client here,
// heartbeats the clients it holds every d, and tells the engine a client left once its
// last connection closed and the grace period passed with none reopened (so a page
// refresh never flaps OFFLINE/ONLINE).
class LocalClients final : public QObject {
    Q_OBJECT
public:
    LocalClients(PresenceEngine &engine, const Clock &clock, QObject *parent = nullptr);

    void open(const ClientId &client);
    void close(const ClientId &client);

    int connections(const ClientId &client) const { return m_connections.value(client); }
    int totalConnections() const { return m_total; }
    QList<ClientId> heldClients() const;

    // Simulates this node dying as Redis sees it: connections stay, heartbeats stop.
    void setHeartbeatsPaused(bool paused);
    bool heartbeatsPaused() const { return m_paused; }

    // Starts the periodic heartbeat at the engine's period; restart after setTiming().
    void start();
    void sendHeartbeats();
    // Lets clients whose grace passed leave. Runs from a timer; tests on a manual clock call it.
    void processDue();

Q_SIGNALS:
    void heartbeatsSent(int clients);
    void heartbeatsPausedChanged(bool paused);

private:
    void armGraceTimer();

    PresenceEngine &m_engine;
    const Clock &m_clock;
    QHash<ClientId, int> m_connections; // includes clients in grace, with 0
    DeadlineQueue<ClientId> m_grace;     // monotonic ms
    int m_total = 0;
    bool m_paused = false;
    QTimer m_heartbeatTimer;
    QTimer m_graceTimer;
};

} // namespace presence
