#pragma once

#include "redis/RedisUrl.h"
#include "redis/SocketKeepAlive.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <optional>

class QAbstractSocket;
class QIODevice;
class QLocalSocket;

namespace presence {

// The byte stream under one Redis connection, on Qt's sockets: TCP, TLS over TCP, or a unix
// socket. connected() comes once the stream is ready for commands (after the TLS handshake,
// with the peer's certificate checked); lost() comes once, with a sentence, when connecting
// fails or the stream ends, and nothing comes after it. Host names are resolved by Qt off the
// event loop. TCP streams get TCP_NODELAY and keepalive probes.
class RedisSocket final : public QObject {
    Q_OBJECT
public:
    explicit RedisSocket(QObject *parent = nullptr);
    ~RedisSocket() override;

    // `address` is a server to connect to (not a Sentinel group); `tls` is used when the
    // address asks for TLS.
    void connectTo(const RedisUrl &address, const std::optional<QSslConfiguration> &tls,
                   const SocketKeepAlive &keepAlive);
    void write(const QByteArray &bytes);
    // Hands what write() queued to the kernel now, not when the event loop next comes round.
    void flush();
    QByteArray readAll();
    // Reads what the kernel holds now, without waiting for the event loop to say so
    // (readyRead() may be emitted from inside).
    void pollNow();
    bool isConnected() const { return m_connected; }

Q_SIGNALS:
    void connected();
    void readyRead();
    void lost(const QString &why);

private:
    void useTcp(QAbstractSocket *socket);
    void onConnected();
    void report(const QString &why);

    QIODevice *m_device = nullptr; // a child of this object
    QAbstractSocket *m_tcp = nullptr;
    QLocalSocket *m_local = nullptr;
    SocketKeepAlive m_keepAlive;
    QString m_tlsRefusal; // why the peer's certificate was refused, if it was
    bool m_connected = false;
    bool m_reported = false;
};

} // namespace presence
