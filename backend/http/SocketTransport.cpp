#include "SocketTransport.h"

namespace presence {

SocketTransport::SocketTransport(QAbstractSocket *socket, Listener &listener)
    : m_socket(socket)
    , m_listener(listener)
{
    connect(socket, &QAbstractSocket::disconnected, this,
            [this] { m_listener.transportEnded(Ended::PeerClosed); });
    connect(socket, &QObject::destroyed, this,
            [this] { m_listener.transportEnded(Ended::PeerClosed); });
    connect(socket, &QAbstractSocket::errorOccurred, this,
            [this](QAbstractSocket::SocketError error) {
                // The kernel ended the connection after the peer timeout (ETIMEDOUT); a reset
                // or FIN comes as disconnected().
                if (error == QAbstractSocket::SocketTimeoutError ||
                    error == QAbstractSocket::NetworkError)
                    m_listener.transportEnded(Ended::TimedOut);
            });
    connect(socket, &QAbstractSocket::bytesWritten, this,
            [this] { m_listener.transportProgressed(); });
}

bool SocketTransport::isConnected() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

int SocketTransport::descriptor() const
{
    return m_socket ? int(m_socket->socketDescriptor()) : -1;
}

qint64 SocketTransport::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

std::optional<SseTransport::Ended> SocketTransport::write(const QByteArrayView *parts,
                                                          qsizetype count)
{
    if (!isConnected())
        return Ended::Failed;
    for (qsizetype i = 0; i < count; ++i) {
        if (m_socket->write(parts[i].data(), parts[i].size()) != parts[i].size())
            return Ended::Failed;
    }
    return std::nullopt;
}

void SocketTransport::close(CloseMode mode)
{
    if (!m_socket)
        return;
    disconnect(m_socket, nullptr, this, nullptr);
    if (mode == CloseMode::Flush)
        m_socket->disconnectFromHost();
    else if (mode == CloseMode::Abort)
        m_socket->abort();
    m_socket = nullptr;
}

} // namespace presence
