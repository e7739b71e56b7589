#include "SseTestClient.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QTest>

namespace presence::test {

QJsonObject SseTestClient::Event::json() const
{
    return QJsonDocument::fromJson(data).object();
}

SseTestClient::SseTestClient(QObject *parent)
    : QObject(parent)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, &SseTestClient::onReadyRead);
}

void SseTestClient::open(quint16 port, const QByteArray &path, const QByteArray &lastEventId,
                         const QList<QByteArray> &extraHeaders)
{
    openAt(QStringLiteral("127.0.0.1"), port, path, lastEventId, extraHeaders);
}

void SseTestClient::openAt(const QString &host, quint16 port, const QByteArray &path,
                           const QByteArray &lastEventId, const QList<QByteArray> &extraHeaders)
{
    m_socket.connectToHost(host, port);
    QByteArray request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    if (!lastEventId.isEmpty())
        request += "Last-Event-ID: " + lastEventId + "\r\n";
    for (const QByteArray &header : extraHeaders)
        request += header + "\r\n";
    request += "\r\n";
    m_socket.write(request);
}

QByteArray SseTestClient::header(const QByteArray &name) const
{
    for (const auto &[key, value] : m_headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

void SseTestClient::onReadyRead()
{
    m_buffer += m_socket.readAll();
    if (!m_headersDone) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
        m_statusCode = statusLine.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                m_headers.append(
                    {lines[i].left(colon).trimmed(), lines[i].mid(colon + 1).trimmed()});
        }
        m_buffer.remove(0, end + 4);
        m_headersDone = true;
    }
    m_body += m_buffer;
    if (header("Content-Type").startsWith("text/event-stream"))
        parseEvents();
    else
        m_buffer.clear();
}

void SseTestClient::parseEvents()
{
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty()) {
            if (!m_pending.data.isEmpty()) {
                if (m_pending.data.endsWith('\n'))
                    m_pending.data.chop(1);
                m_pending.receivedMs = QDateTime::currentMSecsSinceEpoch();
                m_events.append(m_pending);
            }
            m_pending = Event{};
            continue;
        }
        if (line.startsWith(':')) {
            ++m_comments;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        const QByteArray field = colon < 0 ? line : line.left(colon);
        QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
        if (value.startsWith(' '))
            value.remove(0, 1);
        if (field == "data")
            m_pending.data += value + '\n';
        else if (field == "id")
            m_pending.id = m_lastEventId = value;
        else if (field == "event")
            m_pending.type = value;
    }
}

bool SseTestClient::waitForHeaders(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_headersDone; }, timeoutMs);
}

bool SseTestClient::waitForEvent(const std::function<bool(const Event &)> &match, int timeoutMs)
{
    return QTest::qWaitFor([&] { return std::any_of(m_events.cbegin(), m_events.cend(), match); },
                           timeoutMs);
}

bool SseTestClient::waitForStatus(const QString &client, const QString &status, int timeoutMs)
{
    return waitForEvent(
        [&](const Event &event) {
            const QJsonObject json = event.json();
            return json.value(QStringLiteral("client")).toString() == client &&
                   json.value(QStringLiteral("status")).toString() == status;
        },
        timeoutMs);
}

bool SseTestClient::waitForDisconnect(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                           timeoutMs);
}

QList<QJsonObject> SseTestClient::eventsFor(const QString &client) const
{
    QList<QJsonObject> found;
    for (const Event &event : m_events) {
        const QJsonObject json = event.json();
        if (json.value(QStringLiteral("client")).toString() == client)
            found.append(json);
    }
    return found;
}

} // namespace presence::test

namespace presence::test {

qint64 SseTestClient::receivedAt(const QString &client, const QString &status) const
{
    for (const Event &event : m_events) {
        const QJsonObject json = event.json();
        if (json.value(QStringLiteral("client")).toString() == client &&
            json.value(QStringLiteral("status")).toString() == status)
            return event.receivedMs;
    }
    return -1;
}

} // namespace presence::test
