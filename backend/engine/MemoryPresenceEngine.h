#pragma once

#include "Clock.h"
#include "DeadlineQueue.h"
#include "PresenceEngine.h"
#include "RosterTable.h"

#include <QHash>
#include <QTimer>

#include <deque>
#include <set>

namespace presence {

// The seed's LOCAL_PRESENCE branch: every state transition decided in this process.
// Same semantics as the Redis engine: ONLINE on the first connection or heartbeat,
// OFFLINE "timeout" once heartbeats stop for the TTL, OFFLINE "left" on leave().
class MemoryPresenceEngine final : public PresenceEngine {
    Q_OBJECT
public:
    struct Limits {
        qsizetype historyEvents = 10000;    // events kept for Last-Event-ID resume
        qsizetype offlineClients = 10000;   // offline rows kept in the roster
    };

    MemoryPresenceEngine(const Clock &clock, PresenceTiming timing, QString nodeId,
                         QObject *parent = nullptr);
    MemoryPresenceEngine(const Clock &clock, PresenceTiming timing, QString nodeId,
                         Limits limits, QObject *parent = nullptr);

    QString kind() const override { return QStringLiteral("memory"); }
    void setConnections(const RoomMember &member, int connections) override;
    void heartbeat(const QList<RoomMember> &members) override;
    void leave(const RoomMember &member) override;
    QList<ClientPresence> snapshot() const override;
    QList<ClientPresence> roomSnapshot(const RoomName &room) const override;
    EventId lastEventId() const override { return m_lastId; }
    void history(EventId after, HistoryCallback callback) override;
    PresenceTiming timing() const override { return m_timing; }
    void setTiming(const PresenceTiming &timing) override;
    void readDiagnostics(const QObject *context, DiagnosticsCallback callback) override;

    // Expires every client whose TTL passed. Runs from a timer; tests on a manual clock call it.
    void processDue();

private:
    void refresh(ClientPresence &record, const QString &reasonIfNew);
    void transition(ClientPresence &record, PresenceStatus status, const QString &reason);
    EventId nextId();
    void rememberOffline(const ClientPresence &record);
    void forgetOffline(const ClientPresence &record);
    void armTimer();

    const Clock &m_clock;
    PresenceTiming m_timing;
    QString m_nodeId;
    Limits m_limits;
    RosterTable m_roster;
    DeadlineQueue<RoomMember> m_deadlines; // monotonic ms
    std::set<std::pair<qint64, RoomMember>> m_offlineBySince;
    std::deque<PresenceEvent> m_history;
    EventId m_lastId;
    EventId m_trimmedThrough; // newest id dropped from m_history
    QTimer m_expiryTimer;
    qint64 m_startedAtMs = 0;
    quint64 m_heartbeatsSeen = 0;       // members heartbeated, for heartbeats/s
    qint64 m_rateSinceMonoMs = 0;
    quint64 m_rateSinceCount = 0;
    double m_heartbeatsPerSecond = 0;
    std::deque<TimeoutSample> m_timeouts; // the last 1,000 timeouts: when, how late
};

} // namespace presence
