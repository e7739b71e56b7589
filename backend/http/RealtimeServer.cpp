#include "RealtimeServer.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcRealtime, "presence.realtime")

namespace presence {

RealtimeServer::RealtimeServer(PresenceEngine &engine, LocalClients &localClients,
                               Metrics &metrics, Config config, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_localClients(localClients)
    , m_metrics(metrics)
    , m_config(config)
{
    connect(&m_engine, &PresenceEngine::presenceChanged, this, &RealtimeServer::broadcast);
    connect(&m_keepaliveTimer, &QTimer::timeout, this, &RealtimeServer::sendKeepalives);
    m_keepaliveTimer.start(std::chrono::milliseconds(m_config.keepaliveMs));
}

RealtimeServer::~RealtimeServer() { closeAll(); }

QList<PresenceEvent> RealtimeServer::rosterFor(const ClientId &client, bool includeOffline) const
{
    // Every roster event carries the engine's newest id: a client that reconnects with it
    // resumes exactly after the state it was shown.
    const EventId head = m_engine.lastEventId();
    QList<PresenceEvent> roster;
    for (const ClientPresence &row : m_engine.snapshot()) {
        if (row.client == client)
            continue;
        if (row.status != PresenceStatus::Online && !includeOffline)
            continue;
        roster.append(PresenceEvent{head, row.client, row.status, row.reason, row.sinceMs, {}});
    }
    return roster;
}

void RealtimeServer::openSession(const ClientId &client, QHttpServerResponder &&responder,
                                 std::optional<EventId> lastEventId,
                                 const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    auto session = std::make_shared<SseSession>(client, std::move(responder),
                                                m_config.sessionLimits, m_config.retryMs,
                                                extraHeaders);
    if (!session->isOpen())
        return;
    SseSession *raw = session.get();
    connect(raw, &SseSession::closed, this, &RealtimeServer::onSessionClosed);
    m_sessions.insert(raw, session);
    ++m_sessionsByPeer[raw->peer()];
    ++m_metrics.sessionsOpened;

    if (lastEventId)
        resume(raw, *lastEventId);
    else
        raw->sendSnapshot(rosterFor(client, false));

    // Registered after the roster went out, so this client's own ONLINE reaches the others only.
    m_localClients.open(client);
    qCDebug(lcRealtime) << "session opened for" << client.toString() << "sessions"
                        << m_sessions.size();
    Q_EMIT sessionCountChanged(m_sessions.size());
}

void RealtimeServer::resume(SseSession *session, EventId lastEventId)
{
    session->beginReplay();
    QPointer<SseSession> guard(session);
    m_engine.history(lastEventId, [this, guard](PresenceEngine::History history) {
        if (!guard || !guard->isOpen())
            return;
        if (!history.complete) {
            // Too old (or unknown): the client's view may be stale in both directions, so
            // the fresh roster includes who went OFFLINE meanwhile.
            guard->sendSnapshot(rosterFor(guard->client(), true));
            guard->finishReplay({});
            return;
        }
        QList<PresenceEvent> missed;
        for (const PresenceEvent &event : std::as_const(history.events)) {
            if (event.client != guard->client())
                missed.append(event);
        }
        m_metrics.eventsSent += quint64(missed.size());
        guard->finishReplay(missed);
    });
}

void RealtimeServer::broadcast(const PresenceEvent &event)
{
    m_metrics.recordTransition(event);
    for (const auto &session : std::as_const(m_sessions)) {
        if (session->isOpen() && session->client() != event.client) {
            session->sendEvent(event);
            ++m_metrics.eventsSent;
        }
    }
}

void RealtimeServer::sendKeepalives()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const auto &session : std::as_const(m_sessions)) {
        session->sendComment("keepalive");
        session->checkBackpressure(now);
    }
}

void RealtimeServer::onSessionClosed(SseSession *session, SseSession::CloseReason reason)
{
    // Removal waits for the event loop: the session may be closing from inside a loop
    // over m_sessions, or from inside one of its own methods.
    switch (reason) {
    case SseSession::CloseReason::ClientClosed:
        ++m_metrics.sessionsClosedByClient;
        break;
    case SseSession::CloseReason::SlowReader:
        ++m_metrics.sessionsDroppedSlowReader;
        qCInfo(lcRealtime) << "dropped slow reader" << session->client().toString();
        break;
    case SseSession::CloseReason::WriteFailed:
        ++m_metrics.sessionsDroppedWriteFailed;
        qCInfo(lcRealtime) << "dropped session after a failed write" << session->client().toString();
        break;
    case SseSession::CloseReason::ServerShutdown:
        break;
    }
    m_localClients.close(session->client());
    const auto peer = m_sessionsByPeer.find(session->peer());
    if (peer != m_sessionsByPeer.end() && --*peer <= 0)
        m_sessionsByPeer.erase(peer);
    QMetaObject::invokeMethod(
        this,
        [this, session] {
            if (m_sessions.remove(session))
                Q_EMIT sessionCountChanged(m_sessions.size());
        },
        Qt::QueuedConnection);
}

qsizetype RealtimeServer::closeAll()
{
    const auto sessions = m_sessions.values();
    for (const auto &session : sessions)
        session->close(SseSession::CloseReason::ServerShutdown);
    m_sessions.clear();
    m_sessionsByPeer.clear();
    return sessions.size();
}

} // namespace presence
