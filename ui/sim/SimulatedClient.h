#pragma once

#include "model/RoomName.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTcpSocket>
#include <QUrl>

namespace presence {

// One simulated client: a real SSE connection (GET /{name}?room=… over a QTcpSocket,
// event-driven, no thread) that can leave cleanly, crash, freeze or reconnect, the ways real
// clients drop out. One connection joins all its rooms, as a real client's would.
class SimulatedClient final : public QObject {
    Q_OBJECT
public:
    enum class State { Connecting, Streaming, Frozen, Reconnecting, Left, Crashed, Failed };
    Q_ENUM(State)

    // `base` is the node's http://host:port; `thisNode` says it is the in-process one. No rooms
    // (or only the default room) is the seed's request, GET /{name} with no query.
    SimulatedClient(QString name, QUrl base, bool thisNode, QList<RoomName> rooms = {},
                    QObject *parent = nullptr);

    void start();
    // Closes the connection with a FIN: the server sees the client go.
    void leave();
    // Aborts the connection (RST) and never comes back (see SimulatedClientPool::crash for
    // what the in-process node is told first).
    void crash();
    // Stops reading: the connection stays open, the server's send queue to it grows.
    void freeze();
    // Closes cleanly and connects again at once, resuming with Last-Event-ID.
    void reconnect();

    const QString &name() const { return m_name; }
    const QUrl &base() const { return m_base; }
    // The rooms this client's connection joins; never empty (the default room at least).
    const QList<RoomName> &rooms() const { return m_rooms; }
    bool targetsThisNode() const { return m_thisNode; }
    State state() const { return m_state; }
    bool isActive() const;
    qint64 eventsReceived() const { return m_events; }
    const QByteArray &lastEventId() const { return m_lastEventId; }
    QString error() const { return m_error; }

    static QString stateText(State state);

Q_SIGNALS:
    void stateChanged(presence::SimulatedClient *client);

private:
    void setState(State state);
    void onConnected();
    void onReadyRead();
    void onDisconnected();
    void onError(QAbstractSocket::SocketError error);
    void parseLines();

    QString m_name;
    QUrl m_base;
    bool m_thisNode;
    QList<RoomName> m_rooms;
    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_lastEventId;
    QString m_error;
    State m_state = State::Connecting;
    bool m_headersDone = false;
    qint64 m_events = 0;
};

} // namespace presence
