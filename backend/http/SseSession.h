#pragma once

#include "DescriptorPoller.h"
#include "Metrics.h"
#include "RoomFeed.h"
#include "SseTransport.h"
#include "model/ClientId.h"
#include "model/PresenceEvent.h"
#include "model/RoomName.h"

#include <QHostAddress>
#include <QHttpServerResponder>
#include <QObject>
#include <QVarLengthArray>
#include <memory>
#include <utility>
#include <vector>

namespace presence {

// One open SSE stream (GET /{client}). Takes the connection from the responder's socket: a
// plain TCP one by its descriptor (DescriptorTransport: Qt's socket object goes), an HTTPS one
// through the socket (SocketTransport). When the connection ends the session reports closed()
// and is deleted by its owner.
//
// What a session writes comes in two kinds. Paced output (the roster on connect, a replay
// after Last-Event-ID) is handed over as pieces of formatted bytes, possibly shared with other
// sessions, and goes out as the socket drains: a roster of any size reaches a reader at the
// speed it reads, holding at most one chunk in this process. Live events wait behind it, in
// order, and only they count against the slow-reader limits.
//
// Live events are not queued per session: each is formatted once into the feed of its room
// (RoomFeed), where the session holds a cursor, and a flush (once per event-loop pass) or the
// socket draining takes what follows the cursor in one write. A session whose reader is behind
// costs no memory of its own, and one far behind is sent each member's latest change. Such a
// reader is dropped as slow only when it also stops taking bytes (see checkBackpressure()).
class SseSession final : public QObject, private SseTransport::Listener {
    Q_OBJECT
public:
    enum class CloseReason {
        ClientClosed,  // the client closed the stream (FIN or RST)
        WriteFailed,   // the kernel refused a write
        SlowReader,    // the live backlog passed the limits
        DeadPeer,      // written data went unacknowledged for the peer timeout
        StalledReader, // the peer's receive window stayed shut for the peer timeout
        ServerShutdown
    };
    Q_ENUM(CloseReason)

    struct Limits {
        // The live backlog counts every change not yet sent (superseded ones too), as if each
        // were queued. A reader that takes no byte for slowReaderMs while above the soft limit,
        // or for min(slowReaderMs, 1 s) while above the hard one, is dropped; one that keeps
        // reading is not (its feed is bounded by the room's members). Closer to the end than
        // the soft limit it is sent every transition, further behind each member's latest.
        qint64 softQueuedBytes = 256 * 1024;
        qint64 hardQueuedBytes = 4 * 1024 * 1024;
        qint64 slowReaderMs = 10000;
        // TCP_USER_TIMEOUT on the socket: the kernel ends a connection whose data stays
        // unacknowledged (a peer that vanished without FIN or RST), or whose receive window
        // stays shut (a reader that stopped reading), for this long. 0 leaves the kernel's
        // default (~15 minutes of retransmissions).
        qint64 peerTimeoutMs = 6000;
        // Paced output goes to the socket a chunk at a time, the next when less than one is
        // still waiting in this process.
        // Small: it is also about what a session that is behind holds queued for its connection
        // (a 5,000 join storm: 5,000 such buffers).
        qint64 pacedChunkBytes = 16 * 1024;
        // A plain TCP stream takes its connection's descriptor from Qt's socket object and
        // writes to the kernel itself (DescriptorTransport). Off: every write goes through
        // QTcpSocket's buffer, as over HTTPS (the baseline the benchmarks compare with).
        bool takeDescriptor = true;
        // Tests only: the n-th write of this session (1 = the response head) fails as if the
        // peer had reset the connection; 0 never.
        int failingWrite = 0;
    };

    // A range of formatted SSE bytes, kept alive by the shared buffer it points into.
    struct Piece {
        std::shared_ptr<const QByteArray> bytes;
        qsizetype begin = 0;
        qsizetype end = 0;
        qsizetype size() const { return end - begin; }
    };
    static Piece pieceOf(QByteArray bytes);

    // The responder is only the way to its socket: the session answers with its own head. A
    // plain TCP stream is watched by `poller`, which must outlive its connection.
    SseSession(ClientId client, QList<RoomName> rooms, QHttpServerResponder &&responder,
               DescriptorPoller &poller, Limits limits, qint64 retryMs,
               const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {},
               QObject *parent = nullptr);
    ~SseSession() override;

    const ClientId &client() const { return m_client; }
    // qHash(client()): a broadcast to a big room tells the sender's own session apart cheaply.
    size_t clientHash() const { return m_clientHash; }
    const QList<RoomName> &rooms() const { return m_rooms; }
    bool isIn(const RoomName &room) const { return m_rooms.contains(room); }
    const QHostAddress &peer() const { return m_peer; }
    bool isOpen() const { return m_open; }

    // Live events arriving while a Last-Event-ID replay is being fetched wait in the feeds,
    // then follow it, with anything at or below the last id sent skipped.
    void beginReplay() { m_replaying = true; }
    void finishReplay(const QList<PresenceEvent> &replayed);
    // For a session whose rooms' ids come from different streams (rooms of several Redis
    // Cluster shards): its place in each room, in the order of rooms() — after a roster each
    // room's newest id, on a resume the client's RoomCursor. From then on every event it is
    // sent carries the RoomCursor of its places as its id (in place of the event's own), and
    // an event of a room at or before that room's place is skipped as a repeat. The cursor
    // also goes out at once as an id-only block (an EventSource that follows the spec takes
    // it as its last id; one that ignores such blocks has it with the next event).
    void placeInRooms(QList<EventId> idsPerRoom);

    // The feeds of this session's rooms, in the order of rooms(): the session follows each
    // from its end (what it is sent first, the roster or a replay, covers what came before).
    // `metrics` counts the events and writes.
    void followFeeds(std::vector<std::shared_ptr<RoomFeed>> feeds, Metrics *metrics);
    // Moves every cursor to its feed's end: a roster at the engine's newest id was just
    // handed over, which holds all of it (corrections too).
    void skipToFeedEnds();
    // The stream's response head and its retry line, for every SSE route.
    static QByteArray responseHead(const QList<QPair<QByteArray, QByteArray>> &extraHeaders,
                                   qint64 retryMs);
    static QByteArray format(const PresenceEvent &event, bool snapshot);
    // Writes what the feeds hold for this session, in one write per chunk (after any paced
    // output). Returns whether anything was written.
    bool flush();
    // Asks the CPU for the session's own memory / for its transport's (the pointer to which
    // is in the session's), ahead of its flush: a fan-out walks thousands of sessions that the
    // kernel's work since the last one pushed out of the cache (RealtimeServer::flushQueued).
    static void prefetch(const SseSession *session);
    void prefetchTransport() const;
    // Paced output (see above); `lastId` is the newest event id the pieces carry, so live
    // events up to it are not sent again.
    void sendPaced(QList<Piece> pieces, EventId lastId);
    // The same, left for the session's next flush() to start writing (a join storm's rosters
    // written inside each join held up the joins behind them: RealtimeServer::sendFreshRoster).
    void queuePaced(QList<Piece> pieces, EventId lastId);
    bool isPacing() const { return !m_paced.empty(); }
    qint64 pacedBytesLeft() const;
    void sendComment(QByteArrayView text);
    // Checks the live backlog against the limits; drops the session if it is stuck.
    void checkBackpressure(qint64 nowMs);
    // Looks at the peer's receive window (once a keepalive period: a system call); a window
    // shut past the peer timeout ends the session as a stalled reader.
    void watchWindow(qint64 nowMs);
    void close(CloseReason reason);

    qint64 bytesSent() const { return m_bytesSent; }
    quint64 writes() const { return m_writes; }

Q_SIGNALS:
    void closed(presence::SseSession *session, presence::SseSession::CloseReason reason);

private:
    // Live events taken from the feeds for one write: the feeds' own frames (shared, not
    // copied), handed to the kernel in one gathering send.
    struct FrameBatch {
        QVarLengthArray<QByteArray, 16> frames;
        qsizetype bytes = 0;
        bool atEnd = false; // every feed was read to its end (rather than the batch filling)
    };
    // One write of several parts, in order (see SseTransport::write).
    void write(const QByteArrayView *parts, qsizetype count);
    void write(QByteArrayView bytes) { write(&bytes, 1); }
    void pump();
    void unfollowFeeds();
    FrameBatch takeFromFeeds(qsizetype limit);
    bool placedInRooms() const { return !m_roomIds.isEmpty(); }
    // Whether an event of the room at feed `index` with this id was sent already.
    bool isRepeat(size_t index, const EventId &id) const;
    // A formatted event with the RoomCursor of this session's places as its id.
    QByteArray withCursorId(const QByteArray &frame) const;
    qint64 liveBacklog() const;
    void transportProgressed() override;
    void transportEnded(SseTransport::Ended how) override;
    CloseReason timeoutReason() const;

    ClientId m_client;
    size_t m_clientHash = 0;
    QList<RoomName> m_rooms;
    QHostAddress m_peer;
    std::unique_ptr<SseTransport> m_transport; // null: no connection (the socket was gone)
    Limits m_limits;
    EventId m_lastSent;
    QList<EventId> m_roomIds; // placeInRooms(); empty while ids are ordered across rooms
    // A QList, not a std::deque: an empty deque still holds a 512-byte block and its map
    // (576 B of an idle session's ~7 KiB, heaptrack); an empty QList holds nothing.
    QList<Piece> m_paced;
    // One room, the usual case, held in the session itself: a fan-out reads them for every
    // session of the room, and each block elsewhere is one more cache miss a session.
    QVarLengthArray<std::shared_ptr<RoomFeed>, 1> m_feeds;
    QVarLengthArray<RoomFeed::Cursor, 1> m_cursors; // one per feed
    Metrics *m_metrics = nullptr;
    qint64 m_lastProgressMs = 0; // the kernel last took bytes of this stream (ms)
    qint64 m_overSoftLimitSinceMs = -1;
    qint64 m_windowShutSinceMs = -1; // the peer's receive window seen shut since (ms)
    quint64 m_ackedWhenShut = 0;     // tcpi_bytes_acked then
    qint64 m_bytesSent = 0;
    quint64 m_writes = 0;
    int m_writeAttempts = 0;
    bool m_replaying = false;
    bool m_pumping = false;
    bool m_open = true;
};

} // namespace presence
