// RedisPresenceEngine's timeouts: the sweep (the reconciler), expiries Redis reported, and the
// holds that keep both back while heartbeats may not have reached Redis (RedisPresenceEngine.cpp
// holds the rest of the class).
#include "RedisPresenceEngine.h"

#include <QDateTime>
#include <algorithm>
#include <chrono>

namespace presence {

namespace {
// Deadlines packed closer than this are swept together rather than one call each.
constexpr qint64 minSweepGapMs = 5;
} // namespace

void RedisPresenceEngine::holdTimeouts()
{
    m_quietUntilMs = std::max(m_quietUntilMs, QDateTime::currentMSecsSinceEpoch() +
                                                  m_config.timing.ttlMs() +
                                                  m_config.timing.heartbeatMs);
}

// True (and a sweep set for its end) while timeouts wait (after a reconnect, a CLUSTERDOWN).
bool RedisPresenceEngine::holdingTimeouts()
{
    const qint64 left = m_quietUntilMs - QDateTime::currentMSecsSinceEpoch();
    if (left <= 0)
        return false;
    if (m_config.sweepIntervalMs > 0 || !m_sweepTimer.isActive())
        m_sweepTimer.start(std::chrono::milliseconds(left + 1));
    return true;
}

std::optional<qint64> RedisPresenceEngine::staleAfter() const
{
    // Once the reply deadline passes this node may give the connection up as hung and hold
    // its timeouts after reconnecting; a hung Redis that runs the call on resume must not time
    // out members then, whose heartbeats it held too. In Redis' clock, once that is measured.
    const int replyTimeoutMs = m_commands.replyTimeoutMs();
    if (!m_redisClockMeasured || replyTimeoutMs <= 0)
        return std::nullopt;
    return QDateTime::currentMSecsSinceEpoch() + m_redisClockOffsetMs + replyTimeoutMs;
}

void RedisPresenceEngine::expire(const QList<RoomMember> &members)
{
    if (!m_ready || members.isEmpty() || holdingTimeouts())
        return;
    // presence_timeout waits (up to our TTL) for lagging processors, as the sweep does.
    QList<QByteArray> args = call("presence_timeout");
    args << m_node << QByteArray::number(m_config.timing.ttlMs());
    if (const auto notAfter = staleAfter())
        args << "#not-after" << QByteArray::number(*notAfter);
    for (const RoomMember &member : members)
        args.append(member.storeKey().toUtf8());
    // Not sent again after a CLUSTERDOWN: by then the deadlines may have passed only because
    // the heartbeats were held back too (the deferral holds timeouts instead).
    m_commands.command(
        args, [this](const RedisReply &r) { logIfError("presence_expire", r); },
        RedisConnection::Redirects::Answer);
}

// A `due` key expired: sweep at once (after the one in flight, if any), whatever the interval.
void RedisPresenceEngine::sweepNow()
{
    if (!m_ready || holdingTimeouts())
        return;
    if (m_sweeping) {
        m_sweepAgain = true;
        return;
    }
    m_sweepTimer.stop();
    sweep();
}

void RedisPresenceEngine::sweep()
{
    if (!m_ready || m_sweeping || holdingTimeouts())
        return;
    m_sweeping = true;
    QList<QByteArray> args = call("presence_sweep");
    args << m_node << QByteArray::number(m_config.sweepBatch)
         << QByteArray::number(m_config.timing.ttlMs());
    if (const auto notAfter = staleAfter())
        args << QByteArray::number(*notAfter);
    // Not sent again after a CLUSTERDOWN, as presence_timeout above.
    m_commands.command(args, [this](const RedisReply &reply) {
        m_sweeping = false;
        logIfError("presence_sweep", reply);
        if (!m_ready)
            return;
        if (std::exchange(m_sweepAgain, false)) {
            m_sweepTimer.start(0);
            return;
        }
        const bool full = reply.elements().value(0).toInteger() >= m_config.sweepBatch;
        if (m_config.sweepIntervalMs <= 0) { // no reconciler: sweeps when a due key says so
            if (full)
                m_sweepTimer.start(0);
            return;
        }
        // The function tells how long until the next deadline: wake up just then (at most
        // every sweepIntervalMs, which also bounds how late a deadline set by another node is
        // noticed), and at once when a full batch says more are due.
        const qint64 untilNext = reply.elements().value(1).toInteger();
        qint64 wait = m_config.sweepIntervalMs;
        if (full)
            wait = 0;
        else if (untilNext >= 0)
            wait = std::clamp<qint64>(untilNext + 1, minSweepGapMs, m_config.sweepIntervalMs);
        m_sweepTimer.start(std::chrono::milliseconds(wait));
    }, RedisConnection::Redirects::Answer);
}

} // namespace presence
