#include "redis/RedisSocket.h"

#include <QFile>
#include <QLocalSocket>
#include <QSslSocket>
#include <QStringList>
#include <QTcpSocket>

namespace presence {

RedisSocket::RedisSocket(QObject *parent)
    : QObject(parent)
{
}

RedisSocket::~RedisSocket()
{
    // Quietly: the owner asked for this, it wants no lost() from the teardown.
    m_reported = true;
    if (m_device)
        m_device->disconnect(this);
}

void RedisSocket::connectTo(const RedisUrl &address, const std::optional<QSslConfiguration> &tls,
                            const SocketKeepAlive &keepAlive)
{
    m_keepAlive = keepAlive;
    if (address.transport() == RedisUrl::Transport::Unix) {
        m_local = new QLocalSocket(this);
        m_device = m_local;
        connect(m_local, &QLocalSocket::connected, this, &RedisSocket::onConnected);
        connect(m_local, &QLocalSocket::readyRead, this, &RedisSocket::readyRead);
        connect(m_local, &QLocalSocket::errorOccurred, this,
                [this](QLocalSocket::LocalSocketError error) {
                    if (error != QLocalSocket::SocketTimeoutError) // pollNow()'s, not a fault
                        report(m_local->errorString());
                });
        connect(m_local, &QLocalSocket::disconnected, this,
                [this] { report(QStringLiteral("the server closed the connection")); });
        m_local->connectToServer(address.socketPath());
        return;
    }
    if (!address.usesTls()) {
        auto *socket = new QTcpSocket(this);
        useTcp(socket);
        connect(socket, &QTcpSocket::connected, this, &RedisSocket::onConnected);
        socket->connectToHost(address.host(), address.port());
        return;
    }
    auto *socket = new QSslSocket(this);
    useTcp(socket);
    socket->setSslConfiguration(tls.value_or(QSslConfiguration::defaultConfiguration()));
    connect(socket, &QSslSocket::encrypted, this, &RedisSocket::onConnected);
    connect(socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        QStringList reasons;
        for (const QSslError &error : errors)
            reasons.append(error.errorString());
        m_tlsRefusal = QStringLiteral("TLS: the server's certificate was refused: %1")
                           .arg(reasons.join(QStringLiteral("; ")));
    });
    // The peer name checked against the certificate is the host we were asked for.
    socket->connectToHostEncrypted(address.host(), address.port(), address.host());
}

void RedisSocket::useTcp(QAbstractSocket *socket)
{
    m_tcp = socket;
    m_device = socket;
    connect(socket, &QAbstractSocket::readyRead, this, &RedisSocket::readyRead);
    connect(socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::SocketTimeoutError) // pollNow()'s, not a fault
            return;
        if (error == QAbstractSocket::HostNotFoundError) {
            return report(QStringLiteral("cannot resolve %1: %2")
                              .arg(m_tcp->peerName(), m_tcp->errorString()));
        }
        report(m_tlsRefusal.isEmpty() ? m_tcp->errorString() : m_tlsRefusal);
    });
    connect(socket, &QAbstractSocket::disconnected, this,
            [this] { report(QStringLiteral("the server closed the connection")); });
}

void RedisSocket::onConnected()
{
    if (m_tcp) {
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        enableKeepAlive(int(m_tcp->socketDescriptor()), m_keepAlive);
    }
    m_connected = true;
    Q_EMIT connected();
}

void RedisSocket::report(const QString &why)
{
    if (m_reported)
        return;
    m_reported = true;
    m_connected = false;
    Q_EMIT lost(why);
}

void RedisSocket::write(const QByteArray &bytes)
{
    if (m_device && m_connected)
        m_device->write(bytes);
}

void RedisSocket::flush()
{
    if (!m_connected)
        return;
    if (m_local)
        m_local->flush();
    else if (m_tcp)
        m_tcp->flush();
}

QByteArray RedisSocket::readAll()
{
    return m_device ? m_device->readAll() : QByteArray();
}

void RedisSocket::pollNow()
{
    if (!m_connected)
        return;
    if (m_tcp)
        m_tcp->waitForReadyRead(0);
    else if (m_local)
        m_local->waitForReadyRead(0);
}

} // namespace presence
