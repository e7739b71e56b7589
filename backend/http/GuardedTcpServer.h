#pragma once

#include "ConnectionLimits.h"

#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QSslConfiguration>
#include <QTimer>
#include <optional>

namespace presence {

class GuardedTcpServer;

// One accepted connection's place in the server's counts (in all, and per remote address),
// held by whoever drives a connection that Qt's socket object no longer does (an SSE stream
// that took its descriptor): the place is given back when this is released or destroyed.
class ConnectionSlot final {
public:
    ConnectionSlot() = default;
    ConnectionSlot(GuardedTcpServer *server, QHostAddress peer);
    ConnectionSlot(ConnectionSlot &&other) noexcept;
    ConnectionSlot &operator=(ConnectionSlot &&other) noexcept;
    ConnectionSlot(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(const ConnectionSlot &) = delete;
    ~ConnectionSlot() { release(); }

    void release();

private:
    QPointer<GuardedTcpServer> m_server;
    QHostAddress m_peer;
};

// The listening socket, with the limits QAbstractHttpServer does not have: connections in all
// and per remote address are counted at accept time (over the limit: closed at once, before a
// byte is read), and connections that are not SSE streams and carry no traffic for the idle
// timeout are closed (slowloris, forgotten keep-alives).
class GuardedTcpServer final : public QTcpServer {
    Q_OBJECT
public:
    struct Counters {
        quint64 refusedTotal = 0;
        quint64 refusedPerAddress = 0;
        quint64 closedIdle = 0;
        quint64 refusedOversized = 0; // sent more than maxRequestBytes without an answer
    };

    explicit GuardedTcpServer(ConnectionLimits limits, QObject *parent = nullptr);
    // HTTPS: every accepted connection becomes a QSslSocket that starts the server handshake
    // (within the idle timeout, like any request). Call before listen().
    void setTls(const QSslConfiguration &configuration) { m_tls = configuration; }
    bool usesTls() const { return m_tls.has_value(); }

    // SSE sessions mark their socket: a stream is quiet on the way in by design.
    static void markAsStream(QAbstractSocket *socket);
    // A stream that drives the connection through its own descriptor from now on: the socket
    // object leaves the server's watch (its destruction no longer counts as the connection's
    // end) and the connection's place in the counts goes to the returned slot. An empty slot
    // for a socket this server did not accept.
    static ConnectionSlot handOver(QAbstractSocket *socket);

    int openConnections() const { return m_open; }
    const Counters &counters() const { return m_counters; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    friend class ConnectionSlot;
    void closeIdle();
    void connectionEnded(const QHostAddress &peer);

    ConnectionLimits m_limits;
    QHash<QHostAddress, int> m_perAddress;
    // What the idle and size limits go by, per connection: kept here rather than as dynamic
    // properties on the socket, which cost every connection (idle SSE streams too) ~170 B.
    struct Watch {
        qint64 lastActivityMs = 0;
        qint64 unansweredBytes = 0;
        bool stream = false; // markAsStream(): never idle
    };
    QHash<QTcpSocket *, Watch> m_sockets; // QAbstractHttpServer may reparent them: tracked here
    int m_open = 0;
    Counters m_counters;
    QTimer m_idleTimer;
    std::optional<QSslConfiguration> m_tls;
};

} // namespace presence
