#include "SseSession.h"

#include "GuardedTcpServer.h"

#include <QDateTime>
#include <QLoggingCategory>

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

    m_responder.writeStatusLine(QHttpServerResponder::StatusCode::Ok);
    m_responder.writeHeaders({{"Content-Type", "text/event-stream; charset=utf-8"},
                              {"Cache-Control", "no-cache"},
                              {"Connection", "keep-alive"},
                              {"X-Accel-Buffering", "no"}});
    for (const auto &[name, value] : extraHeaders)
        m_responder.writeHeader(name, value);
    // A short retry keeps a browser's automatic reconnect inside the grace period.
    write("retry: " + QByteArray::number(retryMs) + "\n\n");
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

bool SseSession::queueEvent(const PresenceEvent &event)
{
    if (!m_open)
        return false;
    if (m_replaying) {
        m_heldBack.append(event);
        return false;
    }
    if (!event.id.isNull() && event.id <= m_lastSent)
        return false;
    m_queued += format(event, false);
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
    m_responder.writeBody(bytes);
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
