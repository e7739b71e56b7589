// RedisPresenceEngine's diagnostics read (RedisPresenceEngine.cpp holds the rest of the class).
#include "RedisPresenceEngine.h"
#include "redis/DiagnosticsReply.h"
#include "redis/TopologyReply.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>
#include <memory>

namespace presence {

qsizetype RedisPresenceEngine::onlineMembers() const
{
    qsizetype online = 0;
    m_mirror.forEach([&online](const ClientPresence &row) {
        online += row.status == PresenceStatus::Online ? 1 : 0;
    });
    return online;
}

void RedisPresenceEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    EngineDiagnostics d;
    d.valid = true;
    d.engine = kind();
    d.node = m_config.nodeId;
    d.storeAddress = m_commands.serverDescription();
    d.topology = knownTopology(m_commands);
    d.ttlMs = m_config.timing.ttlMs();
    d.processors = m_processor.backlog();
    const HeartbeatProcessor::Stats &stats = m_processor.stats();
    d.heartbeatsProcessed = stats.processed;
    d.processorTransitions = stats.transitions;
    d.entriesClaimed = stats.claimed;
    d.junkEntries = stats.junk;
    switch (m_keyspace.configState()) {
    case KeyspaceListener::ConfigState::Unknown:
        d.notifications = NotificationState::Unknown;
        break;
    case KeyspaceListener::ConfigState::Enabled:
        d.notifications = NotificationState::Enabled;
        break;
    case KeyspaceListener::ConfigState::Disabled:
        d.notifications = NotificationState::Disabled;
        break;
    case KeyspaceListener::ConfigState::Refused:
        d.notifications = NotificationState::Refused;
        break;
    }
    d.notificationsWanted = m_keyspace.notificationsWanted();
    d.notifyKeyspaceEvents = m_keyspace.flags();
    d.notificationsError = m_keyspace.configError();
    const auto finish = [this](EngineDiagnostics &value) {
        const Health now = health();
        value.storeOk = now.ok;
        value.storeState = now.state;
        value.storeDetail = now.detail;
        value.takenAtMs = QDateTime::currentMSecsSinceEpoch();
    };
    // The store's part as last read (what a read that fails, or cannot be made, still shows).
    const auto keepLastStoreRead = [this](EngineDiagnostics &value) {
        value.heartbeatStreamLength = m_lastStoreRead.heartbeatStreamLength;
        value.presenceStreamLength = m_lastStoreRead.presenceStreamLength;
        value.nodes = m_lastStoreRead.nodes;
        value.consumers = m_lastStoreRead.consumers;
        value.latenessP99Ms = m_lastStoreRead.latenessP99Ms;
        value.latenessSamples = m_lastStoreRead.latenessSamples;
        value.timeoutsRecent = m_lastStoreRead.timeoutsRecent;
        value.storeReadAtMs = m_lastStoreRead.storeReadAtMs;
    };
    if (m_commands.state() != RedisConnection::State::Up) {
        // Nothing to ask: what is known locally, and that the store is away.
        keepLastStoreRead(d);
        finish(d);
        deliverLater(context, std::move(callback), std::move(d));
        return;
    }
    // One call (see presence_diagnostics) and the server's ROLE just before it, pipelined (its
    // reply comes first): the rest is what this node knows already.
    QElapsedTimer sent;
    sent.start();
    auto role = std::make_shared<StoreTopology>(d.topology);
    m_commands.command(roleCommand(),
                       [role](const RedisReply &reply) { parseRoleReply(reply, *role); });
    m_commands.command(diagnosticsCommand(m_config.keys),
                       [this, guard = QPointer<const QObject>(context), callback, sent, d, finish,
                        keepLastStoreRead, role](const RedisReply &reply) mutable {
                           if (!guard)
                               return;
                           d.topology = *role;
                           const bool parsed = parseDiagnosticsReply(reply, d);
                           if (parsed) {
                               d.roundTripMs = sent.elapsed();
                               d.storeReadAtMs = QDateTime::currentMSecsSinceEpoch();
                               m_lastStoreRead = d;
                           } else {
                               keepLastStoreRead(d);
                           }
                           finish(d);
                           if (!parsed && d.storeDetail.isEmpty())
                               d.storeDetail = QStringLiteral("presence_diagnostics: ") +
                                               QString::fromUtf8(reply.toByteArray());
                           callback(d);
                       });
}

} // namespace presence
