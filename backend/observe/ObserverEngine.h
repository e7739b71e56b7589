#pragma once

#include "engine/PresenceEngine.h"
#include "engine/RosterTable.h"
#include "engine/RosterUpdates.h"

namespace presence {

// What the observers (RedisObserverEngine, HttpObserverEngine) share: they take part in
// nothing (the node's calls change nothing), and keep a copy of the deployment's roster that
// each fresh read replaces, telling the differences as changes.
class ObserverEngine : public PresenceEngine {
    Q_OBJECT
public:
    using PresenceEngine::PresenceEngine;

    void setConnections(const RoomMember &, int) override {}
    void heartbeat(const QList<RoomMember> &) override {}
    void leave(const RoomMember &) override {}
    QList<ClientPresence> snapshot() const override { return m_roster.rows(); }
    QList<ClientPresence> roomSnapshot(const RoomName &room) const override
    {
        return m_roster.roomRows(room);
    }
    PresenceTiming timing() const override { return m_timing; }
    // The deployment's timing, for deadlines and last-seen times only: an observer decides nothing.
    void setTiming(const PresenceTiming &timing) override { m_timing = timing; }
    bool isSynced() const { return m_synced; }
    // What an observer knows of itself: its health and the roster it follows (no node of its
    // own). The Redis observer adds the deployment's figures (one read-only function call).
    void readDiagnostics(const QObject *context, DiagnosticsCallback callback) override;

protected:
    EngineDiagnostics ownDiagnostics() const;

    // A fresh read of the roster, as of stream position `at`: after the first, every
    // difference from the copy is told as a change (reason "resync"); then rosterReset().
    // Returns how many corrections were told.
    qsizetype replaceRoster(const QList<ClientPresence> &rows, EventId at, const QString &source);
    // One change from the deployment; told unless it is a repeat.
    void applyChange(const PresenceEvent &event);

    PresenceTiming m_timing;
    RosterTable m_roster;
    // OFFLINE rows kept in the copy, like the shared roster's own bound.
    OfflineRowBound m_rosterBound{10000};
    bool m_synced = false;
};

} // namespace presence
