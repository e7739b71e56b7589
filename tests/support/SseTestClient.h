#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QTcpSocket>
#include <functional>

namespace presence::test {

// A minimal HTTP/1.1 + SSE client over a real QTcpSocket, written from the SSE spec
// (events split on blank lines; "id:", "data:", "event:", "retry:" fields; ":" comments).
class SseTestClient final : public QObject {
    Q_OBJECT
public:
    struct Event {
        QByteArray id;
        QByteArray type;
        QByteArray data;
        qint64 receivedMs = 0; // wall clock when the event was parsed
        QJsonObject json() const;
    };

    explicit SseTestClient(QObject *parent = nullptr);

    void open(quint16 port, const QByteArray &path, const QByteArray &lastEventId = {},
              const QList<QByteArray> &extraHeaders = {});
    // The same against another address of this machine (e.g. a veth end of a test namespace).
    void openAt(const QString &host, quint16 port, const QByteArray &path,
                const QByteArray &lastEventId = {}, const QList<QByteArray> &extraHeaders = {});
    void abort() { m_socket.abort(); }
    void disconnectGracefully() { m_socket.disconnectFromHost(); }

    bool waitForHeaders(int timeoutMs = 5000);
    // Waits until some received event satisfies `match`; returns it, or an empty Event.
    bool waitForEvent(const std::function<bool(const Event &)> &match, int timeoutMs = 5000);
    // Waits until `client` was reported with `status` (ONLINE/OFFLINE).
    bool waitForStatus(const QString &client, const QString &status, int timeoutMs = 5000);
    bool waitForDisconnect(int timeoutMs = 5000);

    int statusCode() const { return m_statusCode; }
    QByteArray header(const QByteArray &name) const;
    QByteArray body() const { return m_body; }
    const QList<Event> &events() const { return m_events; }
    int comments() const { return m_comments; }
    QByteArray lastEventId() const { return m_lastEventId; }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

    // Events about `client`, in arrival order.
    QList<QJsonObject> eventsFor(const QString &client) const;
    // When `client` was first reported with `status` (wall ms), or -1.
    qint64 receivedAt(const QString &client, const QString &status) const;

private:
    void onReadyRead();
    void parseEvents();

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_body;
    bool m_headersDone = false;
    int m_statusCode = 0;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QList<Event> m_events;
    Event m_pending;
    QByteArray m_lastEventId;
    int m_comments = 0;
};

} // namespace presence::test
