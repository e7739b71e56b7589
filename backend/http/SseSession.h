#pragma once

#include "model/ClientId.h"
#include "model/PresenceEvent.h"
#include "model/RoomName.h"

#include <QHostAddress>
#include <QHttpServerResponder>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>

namespace presence {

// One open SSE stream (GET /{client}). Owns the responder for the life of the stream and
// watches the socket: when it goes away the session reports closed() and must be deleted
// before anything else writes (writing through a responder whose socket is gone crashes).
class SseSession final : public QObject {
    Q_OBJECT
public:
    enum class CloseReason { ClientClosed, WriteFailed, SlowReader, ServerShutdown };
    Q_ENUM(CloseReason)

    struct Limits {
        qint64 softQueuedBytes = 256 * 1024;    // above this for too long ⇒ dropped
        qint64 hardQueuedBytes = 4 * 1024 * 1024; // above this ⇒ dropped at once
        qint64 slowReaderMs = 10000;
        // Hand bytes to the kernel at once when Qt's send buffer is empty (the usual case),
        // instead of queueing them for the event loop's next write notification. Off: every
        // write goes through QTcpSocket's buffer (the baseline the benchmarks compare with).
        bool directWrites = true;
        // Once the stream is open, and again whenever a backlog written through the socket's
        // buffer has drained, give the socket fresh empty buffers (see releaseBuffers()); off
        // keeps the socket QHttpServer handed over as it is.
        bool releaseBuffers = true;
    };

    SseSession(ClientId client, QList<RoomName> rooms, QHttpServerResponder &&responder,
               Limits limits, qint64 retryMs,
               const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {},
               QObject *parent = nullptr);

    const ClientId &client() const { return m_client; }
    const QList<RoomName> &rooms() const { return m_rooms; }
    bool isIn(const RoomName &room) const { return m_rooms.contains(room); }
    const QHostAddress &peer() const { return m_peer; }
    bool isOpen() const { return m_open; }

    // Live events arriving while a Last-Event-ID replay is being fetched are held back,
    // then sent after it, with anything at or below the last id sent skipped.
    void beginReplay() { m_replaying = true; }
    void finishReplay(const QList<PresenceEvent> &replayed);

    // Queues the event; it goes out with the others queued in this pass at flush(), so a
    // burst of changes costs one socket write, not one per change. Returns false when the
    // event was not queued (closed, replaying, or already sent).
    // `frame` is the event as format() writes it: a broadcast formats an event once for all
    // its sessions.
    bool queueEvent(const PresenceEvent &event, const QByteArray &frame);
    bool queueEvent(const PresenceEvent &event) { return queueEvent(event, {}); }
    static QByteArray format(const PresenceEvent &event, bool snapshot);
    // Writes what queueEvent() gathered, in one write. Returns whether anything was written.
    bool flush();
    bool hasQueued() const { return !m_queued.isEmpty(); }
    void sendEvent(const PresenceEvent &event, bool snapshot = false);
    void sendSnapshot(const QList<PresenceEvent> &online);
    void sendComment(QByteArrayView text);
    // Checks the send queue against the limits; drops the session if it is stuck.
    void checkBackpressure(qint64 nowMs);
    void close(CloseReason reason);

    qint64 bytesSent() const { return m_bytesSent; }
    quint64 writes() const { return m_writes; }

Q_SIGNALS:
    void closed(presence::SseSession *session, presence::SseSession::CloseReason reason);

private:
    void write(const QByteArray &bytes);
    void releaseBuffers();

    ClientId m_client;
    QList<RoomName> m_rooms;
    QHostAddress m_peer;
    QHttpServerResponder m_responder;
    QPointer<QTcpSocket> m_socket;
    Limits m_limits;
    EventId m_lastSent;
    QList<PresenceEvent> m_heldBack;
    QByteArray m_queued;
    qint64 m_overSoftLimitSinceMs = -1;
    qint64 m_bytesSent = 0;
    quint64 m_writes = 0;
    bool m_buffersHeld = true; // the socket holds buffer blocks (the request's, or a backlog's)
    bool m_replaying = false;
    bool m_open = true;
};

} // namespace presence
