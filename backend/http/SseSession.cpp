#include "SseSession.h"

#include "GuardedTcpServer.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcSse, "presence.sse")

namespace presence {

SseSession::SseSession(ClientId client, QList<RoomName> rooms, QHttpServerResponder &&responder,
                       Limits limits, qint64 retryMs,
                       const QList<QPair<QByteArray, QByteArray>> &extraHeaders, QObject *parent)
    : QObject(parent)
    , m_client(std::move(client))
    , m_rooms(std::move(rooms))
    , m_responder(std::move(responder))
    , m_socket(m_responder.socket())
    , m_limits(limits)
{
    if (!m_socket) {
        m_open = false;
        return;
    }
    m_peer = m_socket->peerAddress();
    GuardedTcpServer::markAsStream(m_socket);
    connect(m_socket, &QTcpSocket::disconnected, this,
            [this] { close(CloseReason::ClientClosed); });
    connect(m_socket, &QObject::destroyed, this, [this] { close(CloseReason::ClientClosed); });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error != QAbstractSocket::RemoteHostClosedError)
            qCDebug(lcSse) << m_client.toString() << "socket error" << error;
    });

    // The response head is written here rather than through the responder, in one write with
    // the first event, so it can go straight to the kernel: the responder's writes go through
    // QTcpSocket's buffer, whose 32 KiB block then stays allocated for the life of the stream
    // (heaptrack: 33 KiB of the ~52 KiB an idle session cost; bench/README.md).
    QByteArray head = "HTTP/1.1 200 OK\r\n"
                      "Content-Type: text/event-stream; charset=utf-8\r\n"
                      "Cache-Control: no-cache\r\n"
                      "Connection: keep-alive\r\n"
                      "X-Accel-Buffering: no\r\n";
    for (const auto &[name, value] : extraHeaders)
        head += name + ": " + value + "\r\n";
    // A short retry keeps a browser's automatic reconnect inside the grace period.
    write(head + "\r\nretry: " + QByteArray::number(retryMs) + "\n\n");
    if (m_limits.releaseBuffers) {
        // Queued: this runs inside the socket's own read notification.
        QMetaObject::invokeMethod(this, &SseSession::releaseBuffers, Qt::QueuedConnection);
        // A reader that fell behind made the socket allocate its 32 KiB write block; once that
        // backlog is gone, so is the block.
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_buffersHeld && m_socket && m_socket->bytesToWrite() == 0)
                QMetaObject::invokeMethod(this, &SseSession::releaseBuffers, Qt::QueuedConnection);
        });
    }
}

void SseSession::releaseBuffers()
{
    // QAbstractSocket keeps the 16 KiB block it read the request into (and the 32 KiB write
    // block, once used) for as long as the socket lives, and an SSE client sends nothing more:
    // that was most of an idle session's memory (heaptrack, bench/README.md). Re-adopting the
    // connection through a duplicate descriptor is the one public way to make the socket drop
    // its buffers; the connection itself, its signals and its owner are unchanged.
    // Still busy (more was queued since): the next drain asks again.
    if (!m_buffersHeld || !m_open || !m_socket || m_socket->state() != QAbstractSocket::ConnectedState
        || m_socket->bytesToWrite() > 0 || m_socket->bytesAvailable() > 0)
        return;
    const int duplicate = ::fcntl(int(m_socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    if (duplicate < 0)
        return;
    if (!m_socket->setSocketDescriptor(duplicate, QAbstractSocket::ConnectedState,
                                       QIODevice::ReadWrite)) {
        qCWarning(lcSse) << "could not re-adopt the connection of" << m_client.toString() << "-"
                         << m_socket->errorString();
        ::close(duplicate);
        close(CloseReason::WriteFailed);
        return;
    }
    m_buffersHeld = false;
}

QByteArray SseSession::format(const PresenceEvent &event, bool snapshot)
{
    QByteArray json = event.toJson();
    if (snapshot)
        json.insert(json.size() - 1, ",\"snapshot\":true");
    QByteArray out;
    out.reserve(json.size() + 32);
    if (!event.id.isNull())
        out += "id: " + event.id.toByteArray() + '\n';
    out += "data: " + json + "\n\n";
    return out;
}

bool SseSession::queueEvent(const PresenceEvent &event, const QByteArray &frame)
{
    if (!m_open)
        return false;
    if (m_replaying) {
        m_heldBack.append(event);
        return false;
    }
    if (!event.id.isNull() && event.id <= m_lastSent)
        return false;
    m_queued += frame.isNull() ? format(event, false) : frame;
    if (event.id > m_lastSent)
        m_lastSent = event.id;
    return true;
}

bool SseSession::flush()
{
    if (m_queued.isEmpty())
        return false;
    write(std::exchange(m_queued, {}));
    return true;
}

void SseSession::sendEvent(const PresenceEvent &event, bool snapshot)
{
    if (!snapshot) {
        queueEvent(event);
        flush();
        return;
    }
    if (!m_open)
        return;
    flush();
    write(format(event, true));
    if (event.id > m_lastSent)
        m_lastSent = event.id;
}

void SseSession::sendSnapshot(const QList<PresenceEvent> &online)
{
    QByteArray batch;
    for (const PresenceEvent &event : online) {
        batch += format(event, true);
        if (event.id > m_lastSent)
            m_lastSent = event.id;
    }
    flush();
    if (!batch.isEmpty())
        write(batch);
}

void SseSession::finishReplay(const QList<PresenceEvent> &replayed)
{
    m_replaying = false;
    const QList<PresenceEvent> held = std::exchange(m_heldBack, {});
    for (const PresenceEvent &event : replayed)
        queueEvent(event);
    for (const PresenceEvent &event : held)
        queueEvent(event);
    flush();
}

void SseSession::sendComment(QByteArrayView text)
{
    if (!m_open)
        return;
    flush();
    write(": " + text.toByteArray() + "\n\n");
}

void SseSession::write(const QByteArray &bytes)
{
    if (!m_open)
        return;
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState) {
        close(CloseReason::WriteFailed);
        return;
    }
    qsizetype sent = 0;
    // With nothing queued in Qt's buffer, send() keeps the order and skips a buffer copy, a
    // write notification and a loop pass per session (and the buffer's allocation); a reader
    // that is behind gets the rest through the buffer.
    if (m_limits.directWrites && m_socket->bytesToWrite() == 0) {
        const ssize_t n = ::send(int(m_socket->socketDescriptor()), bytes.constData(),
                                 size_t(bytes.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent = n;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            close(CloseReason::WriteFailed);
            return;
        }
    }
    if (sent < bytes.size()) {
        m_socket->write(bytes.constData() + sent, bytes.size() - sent);
        m_buffersHeld = true;
    }
    m_bytesSent += bytes.size();
    ++m_writes;
    checkBackpressure(QDateTime::currentMSecsSinceEpoch());
}

void SseSession::checkBackpressure(qint64 nowMs)
{
    if (!m_open || !m_socket)
        return;
    const qint64 queued = m_socket->bytesToWrite();
    if (queued > m_limits.hardQueuedBytes) {
        close(CloseReason::SlowReader);
        return;
    }
    if (queued <= m_limits.softQueuedBytes) {
        m_overSoftLimitSinceMs = -1;
        return;
    }
    if (m_overSoftLimitSinceMs < 0)
        m_overSoftLimitSinceMs = nowMs;
    else if (nowMs - m_overSoftLimitSinceMs >= m_limits.slowReaderMs)
        close(CloseReason::SlowReader);
}

void SseSession::close(CloseReason reason)
{
    if (!m_open)
        return;
    m_open = false;
    if (m_socket) {
        disconnect(m_socket, nullptr, this, nullptr);
        if (reason == CloseReason::ServerShutdown)
            m_socket->disconnectFromHost();
        else if (reason != CloseReason::ClientClosed)
            m_socket->abort();
    }
    Q_EMIT closed(this, reason);
}

} // namespace presence
