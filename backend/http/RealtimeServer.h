#pragma once

#include "Metrics.h"
#include "RoomFeed.h"
#include "RoomSnapshotCache.h"
#include "SseSession.h"
#include "engine/LocalClients.h"
#include "engine/PresenceEngine.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QSet>
#include <QTimer>
#include <memory>
#include <optional>

namespace presence {

// The SSE side of a node: opens sessions, gives each the roster of its rooms on connect (or
// replays what it missed since Last-Event-ID), fans every presence change out to the sessions
// of other clients in the same room, keeps idle streams alive and drops sessions that stop
// reading. Each change is formatted once into its room's feed (RoomFeed); once per event-loop
// pass (a longer window while flushes are costly) every session of a room that changed takes
// what follows its cursor, so a burst of N changes costs each session one write, not N, and a
// session that is behind costs a cursor, not a copy.
class RealtimeServer final : public QObject {
    Q_OBJECT
public:
    struct Config {
        // Also what a dead peer's detection waits for: the keepalive is the data in flight
        // that SseSession::Limits::peerTimeoutMs watches.
        qint64 keepaliveMs = 5000;
        qint64 retryMs = 1500;
        SseSession::Limits sessionLimits;
    };

    RealtimeServer(PresenceEngine &engine, LocalClients &localClients, Metrics &metrics,
                   Config config, QObject *parent = nullptr);
    ~RealtimeServer() override;

    // What a connecting client said it saw last (Last-Event-ID): nothing (a first
    // connection), an event id, a RoomCursor (a session in rooms of several cluster shards:
    // the last id of each room), or something that is no id at all — that client's view may
    // be stale in both directions, so it gets a fresh roster that lists who went OFFLINE too.
    struct LastSeen {
        enum class Kind { Nothing, Event, Cursor, Unreadable };
        Kind kind = Kind::Nothing;
        EventId id;
        QList<EventId> roomIds; // Cursor
        static LastSeen from(std::optional<EventId> id)
        {
            return id ? LastSeen{Kind::Event, *id, {}} : LastSeen{};
        }
    };

    // `rooms` must not be empty (the HTTP front end puts a client that names none in the
    // default room).
    void openSession(const ClientId &client, const QList<RoomName> &rooms,
                     QHttpServerResponder &&responder, LastSeen lastSeen,
                     const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void openSession(const ClientId &client, QHttpServerResponder &&responder,
                     std::optional<EventId> lastEventId,
                     const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {})
    {
        openSession(client, {RoomName{}}, std::move(responder), LastSeen::from(lastEventId),
                    extraHeaders);
    }
    qsizetype sessionCount() const { return m_sessions.size(); }
    int sessionsFrom(const QHostAddress &peer) const { return m_sessionsByPeer.value(peer); }
    // Ends every stream (on shutdown); returns how many were open.
    qsizetype closeAll();

Q_SIGNALS:
    void sessionCountChanged(qsizetype sessions);
    // A session ended, and why (the dashboard counts the reasons).
    void sessionClosed(const presence::ClientId &client, presence::SseSession::CloseReason reason);

private:
    void broadcast(const PresenceEvent &event);
    // Every session of the rooms that grew takes what is new for it; `except` (a session
    // being opened, which is sent its roster first) is left to its own next flush.
    void flushQueued(const SseSession *except = nullptr);
    // flushQueued() at once, unless a busy room's coalescing window holds it back.
    void flushIfDue(const SseSession *except);
    // flushQueued() at the end of the coalescing window (at once if none is open).
    void scheduleFlush();
    void sendKeepalives();
    void onSessionClosed(SseSession *session, SseSession::CloseReason reason);
    void sendFreshRoster(SseSession *session, bool includeOffline);
    // The roster, or the replay after what the client saw last; `waited`: the session waited
    // for its rooms to be live (SseSession::beginReplay).
    void startStream(SseSession *session, LastSeen lastSeen, bool waited);
    void resume(SseSession *session, EventId lastEventId);
    void resumeAcross(SseSession *session, QList<EventId> roomIds);
    // Both resumes: the session waits for what `fetch` asks the engine for (it hands the
    // engine the callback), then is given it if still open.
    void replay(SseSession *session,
                const std::function<void(PresenceEngine::HistoryCallback)> &fetch);
    // What a resume fetched, or the roster with who went OFFLINE when it was not complete.
    void deliverReplay(SseSession *session, const PresenceEngine::History &history,
                       quint64 resetsBefore);
    // The newest id of each of the session's rooms' streams, for SseSession::placeInRooms.
    QList<EventId> roomHeads(const SseSession &session) const;

    PresenceEngine &m_engine;
    LocalClients &m_localClients;
    Metrics &m_metrics;
    Config m_config;
    RoomSnapshotCache m_snapshots;
    DescriptorPoller m_poller; // the plain TCP streams' (before them: it outlives them)
    QHash<SseSession *, std::shared_ptr<SseSession>> m_sessions;
    QHash<RoomName, QSet<SseSession *>> m_sessionsByRoom;
    QHash<RoomName, std::shared_ptr<RoomFeed>> m_feeds; // a room's, while it has sessions
    QSet<RoomName> m_dirtyRooms; // rooms whose feeds grew since the last flushQueued()
    QTimer m_flushTimer;
    QDeadlineTimer m_nextFlushAllowed{0}; // a busy room's coalescing window (flushQueued())
    QHash<QHostAddress, int> m_sessionsByPeer;
    QTimer m_keepaliveTimer;
    // Roster resets so far: a replay fetched across one is replaced by a fresh roster (the
    // corrections went to the sessions that were not replaying).
    quint64 m_rosterResets = 0;
};

} // namespace presence
