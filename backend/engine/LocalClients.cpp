#include "LocalClients.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcLocalClients, "presence.node")

namespace presence {

LocalClients::LocalClients(PresenceEngine &engine, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_clock(clock)
{
    m_heartbeatTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &LocalClients::sendHeartbeats);
    m_graceTimer.setSingleShot(true);
    m_graceTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_graceTimer, &QTimer::timeout, this, &LocalClients::processDue);
}

void LocalClients::start()
{
    m_heartbeatTimer.start(std::chrono::milliseconds(m_engine.timing().heartbeatMs));
}

void LocalClients::open(const RoomMember &member)
{
    m_grace.cancel(member);
    const int count = ++m_connections[member];
    ++m_total;
    m_engine.setConnections(member, count);
    armGraceTimer();
}

void LocalClients::close(const RoomMember &member)
{
    const auto found = m_connections.find(member);
    if (found == m_connections.end() || *found == 0) {
        qCWarning(lcLocalClients) << "close without open for" << member.storeKey();
        return;
    }
    const int count = --*found;
    --m_total;
    m_engine.setConnections(member, count);
    const bool crashed = consumeCrashedClose(member);
    if (count > 0)
        return;
    if (crashed) {
        // No leave and no more heartbeats: the TTL decides (see markCrashed()).
        m_grace.cancel(member);
        m_connections.erase(found);
        armGraceTimer();
        return;
    }
    const qint64 grace = m_engine.timing().graceMs;
    if (grace <= 0) {
        m_connections.erase(found);
        m_engine.leave(member);
        return;
    }
    m_grace.schedule(member, m_clock.monotonicMs() + grace);
    armGraceTimer();
}

void LocalClients::markCrashed(const RoomMember &member)
{
    if (m_connections.value(member) > 0)
        ++m_crashedCloses[member];
}

bool LocalClients::consumeCrashedClose(const RoomMember &member)
{
    const auto found = m_crashedCloses.find(member);
    if (found == m_crashedCloses.end())
        return false;
    if (--*found <= 0)
        m_crashedCloses.erase(found);
    return true;
}

QList<RoomMember> LocalClients::heldMembers() const { return m_connections.keys(); }

void LocalClients::setHeartbeatsPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    qCInfo(lcLocalClients) << (paused ? "heartbeats paused" : "heartbeats resumed");
    Q_EMIT heartbeatsPausedChanged(paused);
    if (!paused)
        sendHeartbeats();
}

void LocalClients::sendHeartbeats()
{
    if (m_paused || m_connections.isEmpty())
        return;
    // Clients in their grace period are still here: heartbeat them too, or a grace longer
    // than the TTL would turn a page refresh into a timeout.
    const QList<RoomMember> clients = heldMembers();
    m_engine.heartbeat(clients);
    Q_EMIT heartbeatsSent(int(clients.size()));
}

void LocalClients::processDue()
{
    const QList<RoomMember> due = m_grace.takeDue(m_clock.monotonicMs());
    for (const RoomMember &member : due) {
        if (m_connections.value(member) != 0)
            continue;
        m_connections.remove(member);
        m_engine.leave(member);
    }
    armGraceTimer();
}

void LocalClients::armGraceTimer()
{
    const auto next = m_grace.nextDeadline();
    if (!next) {
        m_graceTimer.stop();
        return;
    }
    m_graceTimer.start(std::chrono::milliseconds(std::max<qint64>(*next - m_clock.monotonicMs(), 0)));
}

} // namespace presence
