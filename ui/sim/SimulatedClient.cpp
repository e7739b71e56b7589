#include "SimulatedClient.h"

namespace presence {

namespace {
// Small on purpose, both of them: a frozen client stops pulling from the kernel as soon as it
// stops reading, and its kernel takes little more, so its receive window shuts after a few
// KiB of traffic and the node drops it after the peer timeout (SseSession::Limits), as it
// would a phone with little memory whose app hung. A client with megabytes of buffer would
// take all that traffic first (README, "Dead and frozen connections").
constexpr qint64 readBufferBytes = 4 * 1024;
constexpr int receiveBufferBytes = 4 * 1024;
} // namespace

SimulatedClient::SimulatedClient(QString name, QUrl base, bool thisNode, QList<RoomName> rooms,
                                 QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_base(std::move(base))
    , m_thisNode(thisNode)
    , m_rooms(rooms.isEmpty() ? QList<RoomName>{RoomName{}} : std::move(rooms))
{
    m_socket.setReadBufferSize(readBufferBytes);
    connect(&m_socket, &QTcpSocket::connected, this, &SimulatedClient::onConnected);
    connect(&m_socket, &QTcpSocket::readyRead, this, &SimulatedClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &SimulatedClient::onDisconnected);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, &SimulatedClient::onError);
}

bool SimulatedClient::isActive() const
{
    return m_state == State::Connecting || m_state == State::Streaming ||
           m_state == State::Frozen || m_state == State::Reconnecting;
}

QString SimulatedClient::stateText(State state)
{
    switch (state) {
    case State::Connecting:
        return tr("connecting");
    case State::Streaming:
        return tr("streaming");
    case State::Frozen:
        return tr("frozen");
    case State::Reconnecting:
        return tr("reconnecting");
    case State::Left:
        return tr("left");
    case State::Crashed:
        return tr("crashed");
    case State::Failed:
        return tr("failed");
    }
    return {};
}

void SimulatedClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(this);
}

void SimulatedClient::start()
{
    m_buffer.clear();
    m_headersDone = false;
    setState(m_state == State::Reconnecting ? State::Reconnecting : State::Connecting);
    m_socket.connectToHost(m_base.host(), quint16(m_base.port(80)));
    // The socket exists once connecting started (an IP address connects at once).
    m_socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, receiveBufferBytes);
}

void SimulatedClient::onConnected()
{
    QByteArray path = m_base.path(QUrl::FullyEncoded).toUtf8();
    if (!path.endsWith('/'))
        path += '/';
    QByteArray query;
    for (const RoomName &room : std::as_const(m_rooms)) {
        if (!room.isDefault() || m_rooms.size() > 1)
            query +=
                (query.isEmpty() ? "?room=" : "&room=") + QUrl::toPercentEncoding(room.toString());
    }
    QByteArray request = "GET " + path + QUrl::toPercentEncoding(m_name) + query + " HTTP/1.1\r\n" +
                         "Host: " + m_base.authority(QUrl::FullyEncoded).toUtf8() + "\r\n" +
                         "Accept: text/event-stream\r\n";
    if (!m_lastEventId.isEmpty())
        request += "Last-Event-ID: " + m_lastEventId + "\r\n";
    request += "\r\n";
    m_socket.write(request);
}

void SimulatedClient::onReadyRead()
{
    if (m_state == State::Frozen)
        return; // leave it in the socket: that is the point of freezing
    m_buffer += m_socket.readAll();
    if (!m_headersDone) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QByteArray statusLine = m_buffer.left(m_buffer.indexOf("\r\n"));
        if (!statusLine.contains(" 200")) {
            m_error = QString::fromUtf8(statusLine);
            setState(State::Failed);
            m_socket.abort();
            return;
        }
        m_headersDone = true;
        m_buffer.remove(0, end + 4);
        setState(State::Streaming);
    }
    parseLines();
}

void SimulatedClient::parseLines()
{
    // Only what a client needs to resume: the last id, and a count of events for the table.
    qsizetype start = 0;
    for (qsizetype end = m_buffer.indexOf('\n'); end >= 0; end = m_buffer.indexOf('\n', start)) {
        const QByteArrayView line = QByteArrayView(m_buffer).sliced(start, end - start).trimmed();
        if (line.startsWith("id:"))
            m_lastEventId = line.sliced(3).trimmed().toByteArray();
        else if (line.startsWith("data:"))
            ++m_events;
        start = end + 1;
    }
    m_buffer.remove(0, start);
}

void SimulatedClient::leave()
{
    if (!isActive())
        return;
    setState(State::Left);
    m_socket.disconnectFromHost();
}

void SimulatedClient::crash()
{
    if (!isActive())
        return;
    setState(State::Crashed);
    m_socket.abort();
}

void SimulatedClient::freeze()
{
    if (m_state == State::Streaming)
        setState(State::Frozen);
}

void SimulatedClient::reconnect()
{
    if (!isActive())
        return;
    setState(State::Reconnecting);
    if (m_socket.state() == QAbstractSocket::UnconnectedState) {
        start();
        return;
    }
    m_socket.disconnectFromHost(); // onDisconnected() starts again
}

void SimulatedClient::onDisconnected()
{
    switch (m_state) {
    case State::Reconnecting:
        start();
        return;
    case State::Left:
    case State::Crashed:
    case State::Failed:
        return;
    default:
        m_error = tr("the server closed the stream");
        setState(State::Failed);
    }
}

void SimulatedClient::onError(QAbstractSocket::SocketError error)
{
    if (error == QAbstractSocket::RemoteHostClosedError || !isActive())
        return; // onDisconnected() decides
    m_error = m_socket.errorString();
    setState(State::Failed);
}

} // namespace presence
