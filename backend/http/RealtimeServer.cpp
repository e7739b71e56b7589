#include "RealtimeServer.h"

#include <QDateTime>
#include <QElapsedTimer>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcRealtime, "presence.realtime")

namespace presence {

namespace {
constexpr qint64 maxFlushWindowMs = 50;
} // namespace

RealtimeServer::RealtimeServer(PresenceEngine &engine, LocalClients &localClients, Metrics &metrics,
                               Config config, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_localClients(localClients)
    , m_metrics(metrics)
    , m_config(config)
    , m_snapshots(engine)
{
    connect(&m_engine, &PresenceEngine::presenceChanged, this, &RealtimeServer::broadcast);
    connect(&m_engine, &PresenceEngine::rosterReset, this, [this] {
        ++m_rosterResets;
        m_snapshots.clear();
    });
    connect(&m_keepaliveTimer, &QTimer::timeout, this, &RealtimeServer::sendKeepalives);
    // Zero-time single shot: runs once the engine's current burst of signals is delivered.
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(0);
    connect(&m_flushTimer, &QTimer::timeout, this, [this] { flushQueued(); });
    m_keepaliveTimer.start(std::chrono::milliseconds(m_config.keepaliveMs));
}

RealtimeServer::~RealtimeServer()
{
    closeAll();
}

QList<EventId> RealtimeServer::roomHeads(const SseSession &session) const
{
    QList<EventId> heads;
    heads.reserve(session.rooms().size());
    for (const RoomName &room : session.rooms())
        heads.append(m_engine.lastEventIdOf({room}));
    return heads;
}

void RealtimeServer::sendFreshRoster(SseSession *session, bool includeOffline)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // Rooms of several shards: the roster's rows carry one id, which cannot say where the
    // client stands in each; its place in each room follows the roster, as a RoomCursor.
    const bool placed = !m_engine.idsOrderedAcross(session->rooms());
    if (!includeOffline) {
        EventId lastId;
        QList<SseSession::Piece> pieces =
            m_snapshots.joinPieces(session->client(), session->rooms(), now, &lastId);
        session->skipToFeedEnds(); // the roster is the room as of now
        // Written from the rooms' next flush, not inside the join: in a join storm the rosters
        // (the room as of each join: up to N rows) held up the joins behind them until the
        // kernel's SYN and accept queues overflowed (bench/README.md).
        session->queuePaced(std::move(pieces), lastId);
        for (const RoomName &room : session->rooms())
            m_dirtyRooms.insert(room);
        scheduleFlush();
        if (placed)
            session->placeInRooms(roomHeads(*session));
        return;
    }
    // Only after a gap: formatted for this session alone. Every row carries the engine's
    // newest id, so a client that reconnects with it resumes exactly after what it was shown.
    const EventId head = m_engine.lastEventIdOf(session->rooms());
    QList<SseSession::Piece> pieces;
    for (const RoomName &room : session->rooms()) {
        const RoomSnapshot roster(m_engine.roomSnapshot(room), head, true);
        pieces += roster.piecesWithout({session->client()});
    }
    session->skipToFeedEnds();
    session->sendPaced(std::move(pieces), head);
    if (placed)
        session->placeInRooms(roomHeads(*session));
}

void RealtimeServer::openSession(const ClientId &client, const QList<RoomName> &rooms,
                                 QHttpServerResponder &&responder, LastSeen lastSeen,
                                 const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    Q_ASSERT(!rooms.isEmpty());
    auto session =
        std::make_shared<SseSession>(client, rooms, std::move(responder), m_poller,
                                     m_config.sessionLimits,
                                     m_config.retryMs, extraHeaders);
    if (!session->isOpen())
        return;
    SseSession *raw = session.get();
    connect(raw, &SseSession::closed, this, &RealtimeServer::onSessionClosed);
    m_sessions.insert(raw, session);
    std::vector<std::shared_ptr<RoomFeed>> feeds;
    feeds.reserve(size_t(rooms.size()));
    for (const RoomName &room : rooms) {
        m_sessionsByRoom[room].insert(raw);
        std::shared_ptr<RoomFeed> &feed = m_feeds[room];
        if (!feed)
            feed = std::make_shared<RoomFeed>(m_config.sessionLimits.softQueuedBytes);
        feeds.push_back(feed);
    }
    raw->followFeeds(std::move(feeds), &m_metrics);
    ++m_sessionsByPeer[raw->peer()];
    ++m_metrics.sessionsOpened;
    // The members are opened before anything is written: a write that fails closes the
    // session, and its close must find them open (opened after, they would stay ONLINE
    // with no connection: a ghost). This client's own ONLINE reaches the others only.
    for (const RoomName &room : rooms)
        m_localClients.open(RoomMember{room, client});
    // The room hears of the join before the joiner is sent its roster (the memory engine's
    // event is out already): the roster is written for one, the event for everyone else.
    flushIfDue(raw);

    // What it is sent first comes from the rooms' roster and stream, which a Redis Cluster node
    // may not be reading yet: the session waits (nothing of its feeds goes out) until they are.
    QPointer<SseSession> guard(raw);
    const bool live = m_engine.follow(rooms, [this, guard, lastSeen] {
        if (guard && guard->isOpen())
            startStream(guard, lastSeen, true);
    });
    if (live)
        startStream(raw, std::move(lastSeen), false);
    else
        raw->beginReplay();
    qCDebug(lcRealtime) << "session opened for" << client.toString() << "sessions"
                        << m_sessions.size();
    Q_EMIT sessionCountChanged(m_sessions.size());
}

void RealtimeServer::startStream(SseSession *session, LastSeen lastSeen, bool waited)
{
    const QList<RoomName> &rooms = session->rooms();
    switch (lastSeen.kind) {
    case LastSeen::Kind::Event:
        return resume(session, lastSeen.id);
    case LastSeen::Kind::Cursor:
        // A cursor for other rooms (or for a store whose ids need none) tells nothing.
        if (lastSeen.roomIds.size() == rooms.size() && !m_engine.idsOrderedAcross(rooms))
            return resumeAcross(session, std::move(lastSeen.roomIds));
        sendFreshRoster(session, true);
        break;
    case LastSeen::Kind::Nothing:
    case LastSeen::Kind::Unreadable:
        sendFreshRoster(session, lastSeen.kind == LastSeen::Kind::Unreadable);
        break;
    }
    if (waited)
        session->finishReplay({}); // the feeds follow the roster
}

void RealtimeServer::resume(SseSession *session, EventId lastEventId)
{
    replay(session, [&](PresenceEngine::HistoryCallback delivered) {
        m_engine.historyFor(lastEventId, session->rooms(), std::move(delivered));
    });
}

void RealtimeServer::resumeAcross(SseSession *session, QList<EventId> roomIds)
{
    session->beginReplay(); // before the cursor goes out: live events wait behind the replay
    session->placeInRooms(roomIds);
    replay(session, [&](PresenceEngine::HistoryCallback delivered) {
        m_engine.historyAcross(roomIds, session->rooms(), std::move(delivered));
    });
}

void RealtimeServer::replay(SseSession *session,
                            const std::function<void(PresenceEngine::HistoryCallback)> &fetch)
{
    session->beginReplay();
    QPointer<SseSession> guard(session);
    const quint64 resetsBefore = m_rosterResets;
    fetch([this, guard, resetsBefore](PresenceEngine::History history) {
        if (guard && guard->isOpen())
            deliverReplay(guard, history, resetsBefore);
    });
}

void RealtimeServer::deliverReplay(SseSession *session, const PresenceEngine::History &history,
                                   quint64 resetsBefore)
{
    if (!history.complete || m_rosterResets != resetsBefore) {
        // Too old (or unknown): the client's view may be stale in both directions, so the
        // fresh roster includes who went OFFLINE meanwhile. The same after a roster reset
        // during the fetch: the stream's story misses the corrections this session was not
        // given while replaying; the roster has them.
        sendFreshRoster(session, true);
        session->finishReplay({});
        return;
    }
    QList<PresenceEvent> missed;
    for (const PresenceEvent &event : history.events) {
        if (event.client != session->client() && session->isIn(event.room))
            missed.append(event);
    }
    m_metrics.eventsSent += quint64(missed.size());
    session->finishReplay(missed);
}

void RealtimeServer::broadcast(const PresenceEvent &event)
{
    m_metrics.recordTransition(event);
    m_snapshots.record(event);
    // Formatted only for a room with sessions here: a processor node with none took a tenth
    // of its time formatting every transition for nobody (perf of a heartbeat drain).
    const auto feed = m_feeds.constFind(event.room);
    if (feed == m_feeds.cend())
        return;
    // Once, for every session of the room: each takes it from the feed at the next flush.
    (*feed)->append(event, SseSession::format(event, false));
    m_dirtyRooms.insert(event.room);
    scheduleFlush();
}

void RealtimeServer::scheduleFlush()
{
    if (!m_flushTimer.isActive()) {
        // Busy rooms coalesce: the next flush waits as long as the last one took (at most
        // maxFlushWindowMs), so a burst of joins that each cost a write to every session of
        // the room is written once per window, not once per join (a 5,000 join storm on the
        // memory engine: 25 million writes, one per join and session, before).
        const qint64 wait = m_nextFlushAllowed.remainingTime();
        m_flushTimer.start(std::chrono::milliseconds(std::max<qint64>(wait, 0)));
    }
}

void RealtimeServer::flushIfDue(const SseSession *except)
{
    if (m_dirtyRooms.isEmpty() || !m_nextFlushAllowed.hasExpired())
        return;
    m_flushTimer.stop();
    flushQueued(except);
}

void RealtimeServer::flushQueued(const SseSession *except)
{
    // A session closed since is still in m_sessionsByRoom only if its close is pending; a
    // closed session writes nothing.
    QElapsedTimer took;
    took.start();
    const QSet<RoomName> rooms = std::exchange(m_dirtyRooms, {});
    for (const RoomName &room : rooms) {
        const auto sessions = m_sessionsByRoom.constFind(room);
        if (sessions == m_sessionsByRoom.cend())
            continue;
        // A copy: a write that fails closes its session, which leaves the room (the object
        // lives on until the event loop removes it).
        const QList<SseSession *> members = sessions->values();
        const qsizetype count = members.size();
        for (qsizetype i = 0; i < count; ++i) {
            // Each session's memory is asked for two turns ahead and its transport's one turn
            // ahead, while the kernel sends for the one before (bench/README.md).
            if (i + 2 < count)
                SseSession::prefetch(members[i + 2]);
            if (i + 1 < count)
                members[i + 1]->prefetchTransport();
            if (members[i] != except)
                members[i]->flush();
        }
    }
    m_nextFlushAllowed.setRemainingTime(std::min<qint64>(took.elapsed(), maxFlushWindowMs));
}

void RealtimeServer::sendKeepalives()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const auto &session : std::as_const(m_sessions)) {
        session->sendComment("keepalive");
        session->checkBackpressure(now);
        session->watchWindow(now);
    }
    m_snapshots.prune(now);
#if defined(__GLIBC__)
    // A join storm leaves the heap full of freed send-backlog blocks that glibc keeps mapped;
    // handing them back once a keepalive period keeps the resident size that of the sessions
    // actually open (19,000 sessions: 11.3 → 5.x KiB each; bench/README.md).
    malloc_trim(0);
#endif
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
        qCInfo(lcRealtime) << "dropped session after a failed write"
                           << session->client().toString();
        break;
    case SseSession::CloseReason::DeadPeer:
        ++m_metrics.sessionsDroppedDeadPeer;
        qCInfo(lcRealtime) << "dropped session of" << session->client().toString()
                           << "whose peer stopped acknowledging (dead peer)";
        break;
    case SseSession::CloseReason::StalledReader:
        ++m_metrics.sessionsDroppedStalledReader;
        qCInfo(lcRealtime) << "dropped session of" << session->client().toString()
                           << "whose receive window stayed shut (stalled reader)";
        break;
    case SseSession::CloseReason::ServerShutdown:
        break;
    }
    Q_EMIT sessionClosed(session->client(), reason);
    m_engine.unfollow(session->rooms());
    for (const RoomName &room : session->rooms()) {
        m_localClients.close(RoomMember{room, session->client()});
        const auto members = m_sessionsByRoom.find(room);
        if (members != m_sessionsByRoom.end()) {
            members->remove(session);
            if (members->isEmpty()) {
                m_sessionsByRoom.erase(members);
                m_feeds.remove(room);
            }
        }
    }
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
    m_sessionsByRoom.clear();
    m_feeds.clear();
    m_sessionsByPeer.clear();
    m_dirtyRooms.clear();
    return sessions.size();
}

} // namespace presence
