// RedisConnection on a cluster slot (m_retriesRedirects): commands that a redirect says were
// not executed wait and go out again, in issue order, within redirectRetryMs. (The MOVED that
// moves the connection is in RedisConnection::dispatch.)
#include "redis/ClusterRedirect.h"
#include "redis/RedisConnection.h"
#include "redis/RedisSocket.h"

#include <algorithm>

namespace presence {

// ASK, TRYAGAIN, CLUSTERDOWN on a cluster slot's connection: Redis executed nothing, so the
// command waits and goes out again (with everything held after it, in order) until the slot's
// migration or the failover is over, for up to redirectRetryMs. Returns false to answer the
// caller with the reply instead.
bool RedisConnection::heldForRetry(InFlight &waiting, const RedisReply &reply)
{
    const auto redirect = ClusterRedirect::fromReply(reply);
    if (!redirect || redirect->kind == ClusterRedirect::Kind::Moved || waiting.argv.isEmpty())
        return false;
    if (m_clock.elapsed() - waiting.firstSentMs > m_options.redirectRetryMs)
        return false;
    m_held.push_back(std::move(waiting));
    if (!m_heldTimer.isActive()) {
        m_heldBackoffMs = std::clamp(m_heldBackoffMs * 2, 25, 500);
        m_heldTimer.start(m_heldBackoffMs);
    }
    return true;
}

void RedisConnection::sendHeld()
{
    if (!m_socket || m_state != State::Up) // a drop fails them with the rest (connectionLost)
        return;
    std::deque<InFlight> held = std::exchange(m_held, {});
    for (InFlight &waiting : held) {
        ++m_redirectRetries;
        send(waiting.argv);
        waiting.deadlineMs = replyDeadline(waiting.argv);
        m_inFlight.push_back(std::move(waiting));
    }
}

} // namespace presence
