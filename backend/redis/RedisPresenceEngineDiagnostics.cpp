// RedisPresenceEngine's diagnostics read (RedisPresenceEngine.cpp holds the rest of the class).
#include "RedisPresenceEngine.h"

#include "redis/DiagnosticsReply.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QPointer>

namespace presence {

void RedisPresenceEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    EngineDiagnostics d;
    d.valid = true;
    d.engine = kind();
    d.node = m_config.nodeId;
    d.storeAddress = m_commands.url().toDisplayString();
    d.ttlMs = m_config.timing.ttlMs();
    d.processors = m_processor.backlog();
    const HeartbeatProcessor::Stats &stats = m_processor.stats();
    d.heartbeatsProcessed = stats.processed;
    d.processorTransitions = stats.transitions;
    d.entriesClaimed = stats.claimed;
    d.junkEntries = stats.junk;
    switch (m_keyspace.configState()) {
    case KeyspaceListener::ConfigState::Unknown: d.notifications = NotificationState::Unknown; break;
    case KeyspaceListener::ConfigState::Enabled: d.notifications = NotificationState::Enabled; break;
    case KeyspaceListener::ConfigState::Disabled: d.notifications = NotificationState::Disabled; break;
    case KeyspaceListener::ConfigState::Refused: d.notifications = NotificationState::Refused; break;
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
    if (m_commands.state() != RedisConnection::State::Up) {
        // Nothing to ask: what is known locally, and that the store is away.
        finish(d);
        deliverLater(context, std::move(callback), std::move(d));
        return;
    }
    // One call (see presence_diagnostics): the rest is what this node knows already.
    QElapsedTimer sent;
    sent.start();
    m_commands.command(diagnosticsCommand(m_config.keys),
                       [this, guard = QPointer<const QObject>(context), callback, sent,
                        d, finish](const RedisReply &reply) mutable {
                           if (!guard)
                               return;
                           d.roundTripMs = sent.elapsed();
                           const bool parsed = parseDiagnosticsReply(reply, d);
                           finish(d);
                           if (!parsed && d.storeDetail.isEmpty())
                               d.storeDetail = QStringLiteral("presence_diagnostics: ")
                                               + QString::fromUtf8(reply.toByteArray());
                           callback(d);
                       });
}

} // namespace presence
