#pragma once

#include "Clock.h"
#include "DeadlineQueue.h"
#include "PresenceEngine.h"

#include <QHash>
#include <QTimer>

namespace presence {

// This node's side of presence: counts the open connections of each member (a client in a
// room) here, heartbeats the members it holds every d, and tells the engine a member left
// once its last connection closed and the grace period passed with none reopened (so a page
// refresh never flaps OFFLINE/ONLINE). A connection in several rooms opens one member each.
class LocalClients final : public QObject {
    Q_OBJECT
public:
    LocalClients(PresenceEngine &engine, const Clock &clock, QObject *parent = nullptr);

    void open(const RoomMember &member);
    void close(const RoomMember &member);

    int connections(const RoomMember &member) const { return m_connections.value(member); }
    int totalConnections() const { return m_total; }
    QList<RoomMember> heldMembers() const;

    // Simulation hook (the dashboard's "crash"): the server cannot tell an aborted TCP
    // connection from a clean close, so a simulator that is about to abort one of this
    // client's connections says so first. That close then neither starts the grace period nor
    // leads to a leave, and once the client has no connection left here it is no longer
    // heartbeated: the engine times it out after the TTL, as it would a client whose node
    // vanished. Each call covers one close; a connection opened later is unaffected.
    void markCrashed(const RoomMember &member);

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
    bool consumeCrashedClose(const RoomMember &member);

    PresenceEngine &m_engine;
    const Clock &m_clock;
    QHash<RoomMember, int> m_connections; // includes clients in grace, with 0
    QHash<RoomMember, int> m_crashedCloses; // closes announced by markCrashed(), not yet seen
    DeadlineQueue<RoomMember> m_grace;     // monotonic ms
    int m_total = 0;
    bool m_paused = false;
    QTimer m_heartbeatTimer;
    QTimer m_graceTimer;
};

} // namespace presence
