#pragma once

#include "SseTransport.h"

#include <QAbstractSocket>
#include <QObject>
#include <QPointer>

namespace presence {

// An SSE stream through Qt's socket object: every byte through its buffer (and, over HTTPS,
// its TLS layer). Used where the descriptor cannot be taken (HTTPS) and as the benchmarks'
// baseline (PRESENCE_SSE_DIRECT_WRITES=0).
class SocketTransport final : public QObject, public SseTransport {
    Q_OBJECT
public:
    SocketTransport(QAbstractSocket *socket, Listener &listener);

    bool isConnected() const override;
    int descriptor() const override;
    qint64 bytesToWrite() const override;
    std::optional<Ended> write(const QByteArrayView *parts, qsizetype count) override;
    void close(CloseMode mode) override;

private:
    // As a QAbstractSocket: its destructor emits disconnected() (we close then), when it is
    // no longer a QTcpSocket.
    QPointer<QAbstractSocket> m_socket;
    Listener &m_listener;
};

} // namespace presence
