#include "GuardedTcpServer.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QSslSocket>
#include <QTcpSocket>
#include <utility>

Q_LOGGING_CATEGORY(lcGuard, "presence.http.limits")

namespace presence {

ConnectionSlot::ConnectionSlot(GuardedTcpServer *server, QHostAddress peer)
    : m_server(server)
    , m_peer(std::move(peer))
{
}

ConnectionSlot::ConnectionSlot(ConnectionSlot &&other) noexcept
    : m_server(std::exchange(other.m_server, nullptr))
    , m_peer(std::move(other.m_peer))
{
}

ConnectionSlot &ConnectionSlot::operator=(ConnectionSlot &&other) noexcept
{
    if (this != &other) {
        release();
        m_server = std::exchange(other.m_server, nullptr);
        m_peer = std::move(other.m_peer);
    }
    return *this;
}

void ConnectionSlot::release()
{
    if (GuardedTcpServer *server = std::exchange(m_server, nullptr))
        server->connectionEnded(m_peer);
}

GuardedTcpServer::GuardedTcpServer(ConnectionLimits limits, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
{
    connect(&m_idleTimer, &QTimer::timeout, this, &GuardedTcpServer::closeIdle);
    m_idleTimer.start(std::chrono::milliseconds(std::clamp<qint64>(m_limits.idleTimeoutMs / 4, 10, 1000)));
}

void GuardedTcpServer::markAsStream(QAbstractSocket *socket)
{
    // The sockets are created with the server as their parent (incomingConnection()).
    auto *server = socket ? qobject_cast<GuardedTcpServer *>(socket->parent()) : nullptr;
    if (!server)
        return;
    const auto watch = server->m_sockets.find(static_cast<QTcpSocket *>(socket));
    if (watch != server->m_sockets.end())
        watch->stream = true;
}

ConnectionSlot GuardedTcpServer::handOver(QAbstractSocket *socket)
{
    auto *server = socket ? qobject_cast<GuardedTcpServer *>(socket->parent()) : nullptr;
    if (!server || !server->m_sockets.remove(static_cast<QTcpSocket *>(socket)))
        return {};
    return ConnectionSlot(server, socket->peerAddress());
}

void GuardedTcpServer::connectionEnded(const QHostAddress &peer)
{
    --m_open;
    const auto found = m_perAddress.find(peer);
    if (found != m_perAddress.end() && --*found <= 0)
        m_perAddress.erase(found);
}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    QTcpSocket *socket = m_tls ? new QSslSocket(this) : new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    const QHostAddress peer = socket->peerAddress();
    int &fromPeer = m_perAddress[peer];
    if (m_open >= m_limits.maxConnections || fromPeer >= m_limits.maxPerAddress) {
        // Refused before anything is read: the cheapest answer to a flood is a closed socket.
        ++(m_open >= m_limits.maxConnections ? m_counters.refusedTotal : m_counters.refusedPerAddress);
        if (fromPeer == 0)
            m_perAddress.remove(peer);
        socket->abort();
        socket->deleteLater();
        qCDebug(lcGuard) << "refused a connection from" << peer;
        return;
    }
    ++fromPeer;
    ++m_open;
    m_sockets.insert(socket, Watch{QDateTime::currentMSecsSinceEpoch(), 0});
    // Connected before the HTTP server's own handler, so bytesAvailable() is what just came in.
    // QAbstractHttpServer has no limit on what a client sends before a request is complete.
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        const auto watch = m_sockets.find(socket);
        if (watch == m_sockets.end())
            return;
        watch->lastActivityMs = QDateTime::currentMSecsSinceEpoch();
        watch->unansweredBytes += socket->bytesAvailable();
        const qint64 unanswered = watch->unansweredBytes;
        if (unanswered > m_limits.maxRequestBytes) {
            ++m_counters.refusedOversized;
            qCDebug(lcGuard) << "closed a connection that sent" << unanswered << "bytes unanswered";
            socket->abort();
        }
    });
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] {
        const auto watch = m_sockets.find(socket);
        if (watch == m_sockets.end())
            return;
        watch->lastActivityMs = QDateTime::currentMSecsSinceEpoch();
        watch->unansweredBytes = 0;
    });
    connect(socket, &QObject::destroyed, this, [this, socket, peer] {
        // A socket handed over (handOver()) left m_sockets then: its slot counts instead.
        if (m_sockets.remove(socket))
            connectionEnded(peer);
    });
    if (m_tls) {
        auto *tls = static_cast<QSslSocket *>(socket);
        tls->setSslConfiguration(*m_tls);
        // A failed handshake (plain HTTP to the HTTPS port, an old client) just closes.
        connect(tls, &QSslSocket::sslErrors, this, [peer](const QList<QSslError> &errors) {
            qCDebug(lcGuard) << "TLS handshake with" << peer << "failed:" << errors;
        });
        tls->startServerEncryption();
    }
    addPendingConnection(socket);
}

void GuardedTcpServer::closeIdle()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QList<QTcpSocket *> sockets = m_sockets.keys(); // abort() may destroy some
    for (QTcpSocket *socket : sockets) {
        const auto watch = m_sockets.constFind(socket);
        if (watch == m_sockets.cend())
            continue;
        if (watch->stream)
            continue;
        const qint64 last = watch->lastActivityMs;
        if (last > 0 && now - last > m_limits.idleTimeoutMs
            && socket->state() == QAbstractSocket::ConnectedState) {
            ++m_counters.closedIdle;
            socket->abort();
        }
    }
}

} // namespace presence
