#include "HttpObserverEngine.h"

#include "observe/PresenceEventJson.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkReply>

Q_LOGGING_CATEGORY(lcHttpObserver, "presence.observe.http")

namespace presence {

namespace {
// A broken node must not make us hold an endless line or event.
constexpr qsizetype maxPendingBytes = 4 * 1024 * 1024;

// The error a node words in its JSON body ({"error": …}), or Qt's description.
QString describe(QNetworkReply &reply, const QByteArray &body)
{
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString error =
        QJsonDocument::fromJson(body).object().value(QStringLiteral("error")).toString();
    if (status == 401 || status == 403)
        return QStringLiteral("the node refused the admin token (HTTP %1%2); give the node's token "
                              "as PRESENCE_ADMIN_TOKEN or --admin-token-file")
            .arg(status)
            .arg(error.isEmpty() ? QString() : QStringLiteral(": ") + error);
    if (status == 404)
        return QStringLiteral("the node has no /api/events (HTTP 404): is it a presence node of "
                              "this version?");
    if (status != 0)
        return QStringLiteral("HTTP %1%2").arg(status).arg(error.isEmpty() ? QString()
                                                                          : QStringLiteral(": ") + error);
    return reply.errorString();
}
} // namespace

HttpObserverEngine::HttpObserverEngine(Config config, QObject *parent)
    : ObserverEngine(parent)
    , m_config(std::move(config))
{
    m_timing = m_config.timing;
    m_silence.setSingleShot(true);
    m_silence.setInterval(m_config.silenceTimeoutMs);
    connect(&m_silence, &QTimer::timeout, this, [this] {
        setHealth(false, QStringLiteral("down"),
                  QStringLiteral("the node sent nothing for %1 ms (not even a keepalive)")
                      .arg(m_config.silenceTimeoutMs));
        if (m_stream)
            m_stream->abort(); // finished() retries
    });
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &HttpObserverEngine::connectStream);
}

HttpObserverEngine::~HttpObserverEngine()
{
    if (m_stream) {
        m_stream->disconnect(this);
        m_stream->abort();
    }
}

void HttpObserverEngine::start()
{
    qCInfo(lcHttpObserver).noquote()
        << "observing the deployment through" << m_config.node.toDisplayString() << "(read-only)";
    connectStream();
}

QNetworkRequest HttpObserverEngine::request(const QString &path) const
{
    QUrl url = m_config.node;
    url.setPath(path);
    QNetworkRequest request(url);
    if (!m_config.adminToken.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_config.adminToken);
    return request;
}

void HttpObserverEngine::connectStream()
{
    QNetworkRequest events = request(QStringLiteral("/api/events"));
    events.setRawHeader("Accept", "text/event-stream");
    events.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    m_parser.reset();
    m_incoming.clear();
    m_receivingRoster = true;
    m_stream = m_network.get(events);
    connect(m_stream, &QNetworkReply::readyRead, this, &HttpObserverEngine::onData);
    connect(m_stream, &QNetworkReply::finished, this, &HttpObserverEngine::onFinished);
    m_silence.start();
}

void HttpObserverEngine::onData()
{
    if (!m_stream)
        return;
    m_silence.start();
    const int status = m_stream->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200)
        return; // the error body is read in onFinished()
    for (const SseEventParser::Event &event : m_parser.feed(m_stream->readAll()))
        handle(event);
    if (m_parser.pendingBytes() > maxPendingBytes) {
        setHealth(false, QStringLiteral("down"), QStringLiteral("the node sent an endless event"));
        m_stream->abort();
    }
}

void HttpObserverEngine::onFinished()
{
    QNetworkReply *reply = m_stream;
    if (!reply)
        return;
    m_silence.stop();
    const QByteArray body = reply->readAll();
    const QString why = describe(*reply, body);
    reply->deleteLater();
    m_stream = nullptr;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const bool wasOk = m_health.ok;
    if ((status == 401 || status == 403 || status == 404) && !m_synced) {
        // Retrying cannot help a wrong token or a wrong address: say so and stop.
        qCCritical(lcHttpObserver).noquote() << m_config.node.toDisplayString() << "-" << why;
        setHealth(false, QStringLiteral("refused"), why);
        return;
    }
    setHealth(false, QStringLiteral("down"),
              reply->error() == QNetworkReply::NoError ? QStringLiteral("the node closed the stream")
                                                       : why);
    if (wasOk || m_backoffMs == 0)
        qCWarning(lcHttpObserver).noquote()
            << m_config.node.toDisplayString() << "-" << m_health.detail << "- retrying";
    retryLater();
}

void HttpObserverEngine::retryLater()
{
    m_backoffMs = m_backoffMs == 0 ? 250 : std::min(m_backoffMs * 2, m_config.maxBackoffMs);
    m_retry.start(m_backoffMs);
}

void HttpObserverEngine::handle(const SseEventParser::Event &event)
{
    if (event.type == "synced") {
        finishRoster(event.data);
        return;
    }
    if (event.type != "message")
        return;
    bool isSnapshot = false;
    QString whyNot;
    const auto parsed = presenceEventFromJson(event.data, &isSnapshot, &whyNot);
    if (!parsed) {
        qCWarning(lcHttpObserver).noquote() << "ignoring an event the node sent:" << whyNot;
        return;
    }
    if (isSnapshot && !m_receivingRoster) { // the node's roster was replaced: sent again whole
        m_receivingRoster = true;
        m_incoming.clear();
    }
    if (isSnapshot) {
        ClientPresence row;
        row.client = parsed->client;
        row.room = parsed->room;
        row.status = parsed->status;
        row.reason = parsed->reason;
        row.sinceMs = parsed->atMs;
        row.lastSeenMs = parsed->atMs;
        if (!parsed->node.isEmpty())
            row.nodes.append(parsed->node);
        if (row.status == PresenceStatus::Online)
            row.deadlineMs = parsed->atMs + m_timing.ttlMs();
        m_incoming.append(std::move(row));
        return;
    }
    if (m_receivingRoster)
        return; // nothing but roster rows come before "synced"
    m_position = std::max(m_position, parsed->id);
    applyChange(*parsed);
}

void HttpObserverEngine::finishRoster(const QByteArray &data)
{
    const QJsonObject synced = QJsonDocument::fromJson(data).object();
    const EventId at =
        EventId::parse(synced.value(QStringLiteral("id")).toString().toLatin1()).value_or(EventId{});
    const bool first = !m_synced;
    const QList<ClientPresence> rows = std::exchange(m_incoming, {});
    m_receivingRoster = false;
    m_position = at;
    m_backoffMs = 0;
    setHealth(true, QStringLiteral("up"), {});
    const qsizetype corrections = replaceRoster(rows, at, m_config.node.authority());
    qCInfo(lcHttpObserver).noquote()
        << QStringLiteral("roster read: %1 members%2")
               .arg(rows.size())
               .arg(first ? QString() : QStringLiteral(" (again: %1 corrections)").arg(corrections));
}

void HttpObserverEngine::readRoster(RosterCallback callback)
{
    QNetworkReply *reply = m_network.get(request(QStringLiteral("/api/presence")));
    connect(reply, &QNetworkReply::finished, this, [this, reply, callback = std::move(callback)] {
        reply->deleteLater();
        const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
        if (reply->error() != QNetworkReply::NoError || !answer.contains(QStringLiteral("clients"))) {
            callback(snapshot());
            return;
        }
        QList<ClientPresence> rows;
        for (const QJsonValue &value : answer.value(QStringLiteral("clients")).toArray()) {
            if (auto row = clientPresenceFromJson(value.toObject()))
                rows.append(std::move(*row));
        }
        callback(std::move(rows));
    });
}

void HttpObserverEngine::setHealth(bool ok, const QString &state, const QString &detail)
{
    if (m_health.ok == ok && m_health.state == state && m_health.detail == detail)
        return;
    m_health = Health{ok, state, detail};
    Q_EMIT healthChanged();
}

} // namespace presence
