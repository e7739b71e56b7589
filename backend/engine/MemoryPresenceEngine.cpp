#include "MemoryPresenceEngine.h"

#include <QCoreApplication>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcMemoryEngine, "presence.engine.memory")

namespace presence {

MemoryPresenceEngine::MemoryPresenceEngine(const Clock &clock, PresenceTiming timing,
                                           QString nodeId, QObject *parent)
    : MemoryPresenceEngine(clock, timing, std::move(nodeId), Limits{}, parent)
{
}

MemoryPresenceEngine::MemoryPresenceEngine(const Clock &clock, PresenceTiming timing,
                                           QString nodeId, Limits limits, QObject *parent)
    : PresenceEngine(parent)
    , m_clock(clock)
    , m_timing(timing)
    , m_nodeId(std::move(nodeId))
    , m_limits(limits)
    , m_startedAtMs(clock.wallMs())
    , m_rateSinceMonoMs(clock.monotonicMs())
{
    m_expiryTimer.setSingleShot(true);
    m_expiryTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_expiryTimer, &QTimer::timeout, this, &MemoryPresenceEngine::processDue);
}

void MemoryPresenceEngine::setTiming(const PresenceTiming &timing)
{
    // Deadlines already set keep their old TTL; the next refresh uses the new one.
    m_timing = timing;
}

void MemoryPresenceEngine::setConnections(const RoomMember &member, int connections)
{
    ClientPresence &record = m_roster.upsert(member);
    record.connections = std::max(connections, 0);
    record.nodes = record.connections > 0 ? QStringList{m_nodeId} : QStringList{};
    if (connections > 0)
        refresh(record, Reason::connected);
    armTimer();
}

void MemoryPresenceEngine::heartbeat(const QList<RoomMember> &members)
{
    for (const RoomMember &member : members)
        refresh(m_roster.upsert(member), Reason::heartbeat);
    m_heartbeatsSeen += quint64(members.size());
    armTimer();
}

void MemoryPresenceEngine::refresh(ClientPresence &record, const QString &reasonIfNew)
{
    const qint64 ttl = m_timing.ttlMs();
    record.lastSeenMs = m_clock.wallMs();
    record.deadlineMs = record.lastSeenMs + ttl;
    m_deadlines.schedule(record.member(), m_clock.monotonicMs() + ttl);
    if (record.status != PresenceStatus::Online)
        transition(record, PresenceStatus::Online, reasonIfNew);
}

void MemoryPresenceEngine::leave(const RoomMember &member)
{
    ClientPresence *found = m_roster.find(member);
    if (!found)
        return;
    found->connections = 0;
    found->nodes.clear();
    if (found->status == PresenceStatus::Online)
        transition(*found, PresenceStatus::Offline, Reason::left);
    armTimer();
}

void MemoryPresenceEngine::processDue()
{
    const QList<RoomMember> due = m_deadlines.takeDue(m_clock.monotonicMs());
    for (const RoomMember &member : due) {
        ClientPresence *found = m_roster.find(member);
        if (found && found->status == PresenceStatus::Online) {
            m_timeouts.push_back({m_clock.wallMs(), m_clock.wallMs() - found->deadlineMs});
            if (m_timeouts.size() > 1000)
                m_timeouts.pop_front();
            transition(*found, PresenceStatus::Offline, Reason::timeout);
        }
    }
    armTimer();
}

void MemoryPresenceEngine::transition(ClientPresence &record, PresenceStatus status,
                                      const QString &reason)
{
    if (record.status == PresenceStatus::Offline && record.sinceMs > 0)
        forgetOffline(record);
    record.status = status;
    record.reason = reason;
    record.sinceMs = m_clock.wallMs();
    if (status == PresenceStatus::Offline) {
        record.deadlineMs = 0;
        m_deadlines.cancel(record.member());
    }

    PresenceEvent event;
    event.id = nextId();
    event.client = record.client;
    event.status = status;
    event.reason = reason;
    event.atMs = record.sinceMs;
    event.node = m_nodeId;
    event.room = record.room;

    m_history.push_back(event);
    while (qsizetype(m_history.size()) > m_limits.historyEvents) {
        m_trimmedThrough = m_history.front().id;
        m_history.pop_front();
    }
    qCDebug(lcMemoryEngine) << record.client.toString() << statusText(status) << reason;

    // Emitting last: the record may be erased below, so copy first.
    if (status == PresenceStatus::Offline)
        rememberOffline(record);
    Q_EMIT presenceChanged(event);
}

EventId MemoryPresenceEngine::nextId()
{
    // Same shape as Redis stream ids: wall ms, then a sequence within the same ms,
    // never going backwards even when the wall clock does.
    const quint64 now = quint64(std::max<qint64>(m_clock.wallMs(), 0));
    m_lastId = now > m_lastId.ms ? EventId{now, 0} : m_lastId.next();
    return m_lastId;
}

void MemoryPresenceEngine::rememberOffline(const ClientPresence &record)
{
    m_offlineBySince.emplace(record.sinceMs, record.member());
    while (qsizetype(m_offlineBySince.size()) > m_limits.offlineClients) {
        const RoomMember oldest = m_offlineBySince.begin()->second;
        m_offlineBySince.erase(m_offlineBySince.begin());
        m_roster.remove(oldest);
    }
}

void MemoryPresenceEngine::forgetOffline(const ClientPresence &record)
{
    m_offlineBySince.erase({record.sinceMs, record.member()});
}

QList<ClientPresence> MemoryPresenceEngine::snapshot() const { return m_roster.rows(); }

QList<ClientPresence> MemoryPresenceEngine::roomSnapshot(const RoomName &room) const
{
    return m_roster.roomRows(room);
}

void MemoryPresenceEngine::history(EventId after, HistoryCallback callback)
{
    History result;
    // Complete only when nothing after `after` was trimmed and `after` is not from the future
    // (an id from another run or a forged one gets a fresh snapshot instead).
    result.complete = after >= m_trimmedThrough && after <= m_lastId;
    if (result.complete) {
        const auto first = std::upper_bound(
            m_history.cbegin(), m_history.cend(), after,
            [](const EventId &id, const PresenceEvent &event) { return id < event.id; });
        for (auto it = first; it != m_history.cend(); ++it)
            result.events.append(*it);
    }
    callback(std::move(result));
}

void MemoryPresenceEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    // Heartbeats per second over the time since the last read (at least a heartbeat period).
    const qint64 mono = m_clock.monotonicMs();
    if (mono - m_rateSinceMonoMs >= std::max<qint64>(m_timing.heartbeatMs, 1000)) {
        m_heartbeatsPerSecond = double(m_heartbeatsSeen - m_rateSinceCount) * 1000.0
                                / double(mono - m_rateSinceMonoMs);
        m_rateSinceMonoMs = mono;
        m_rateSinceCount = m_heartbeatsSeen;
    }
    EngineDiagnostics d;
    d.valid = true;
    d.engine = kind();
    d.node = m_nodeId;
    d.takenAtMs = m_clock.wallMs();
    d.storeReadAtMs = d.takenAtMs;
    d.storeState = QStringLiteral("up");
    d.ttlMs = m_timing.ttlMs();
    NodeStatus self;
    self.id = m_nodeId;
    self.alive = true;
    self.version = QCoreApplication::applicationVersion();
    self.startedAtMs = m_startedAtMs;
    self.lastSeenMs = d.takenAtMs;
    self.expiresAtMs = d.takenAtMs + m_timing.ttlMs();
    self.sessions = sessionCount();
    self.members = 0;
    m_roster.forEach([&self](const ClientPresence &row) {
        if (row.connections > 0)
            ++self.members;
    });
    self.heartbeatsPerSecond = m_heartbeatsPerSecond;
    d.nodes = {self};
    summarizeTimeouts(d, QList<TimeoutSample>(m_timeouts.cbegin(), m_timeouts.cend()), d.takenAtMs);
    deliverLater(context, std::move(callback), std::move(d));
}

void MemoryPresenceEngine::armTimer()
{
    const auto next = m_deadlines.nextDeadline();
    if (!next) {
        m_expiryTimer.stop();
        return;
    }
    const qint64 wait = std::max<qint64>(*next - m_clock.monotonicMs(), 0);
    m_expiryTimer.start(std::chrono::milliseconds(wait));
}

} // namespace presence
