#include "HttpFrontend.h"

#include "DiagnosticsJson.h"
#include "HttpReply.h"
#include "ReusePort.h"
#include "engine/DiagnosticsMonitor.h"
#include "model/RoomCursor.h"
#include "model/RoomOccupancy.h"

#include <QDateTime>
#include <QFile>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QPointer>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcHttp, "presence.http")

namespace presence {

namespace {
QJsonObject toJson(const ClientPresence &row)
{
    return QJsonObject{{QStringLiteral("client"), row.client.toString()},
                       {QStringLiteral("room"), row.room.toString()},
                       {QStringLiteral("status"), statusText(row.status)},
                       {QStringLiteral("reason"), row.reason},
                       {QStringLiteral("since"), row.sinceMs},
                       {QStringLiteral("lastSeen"), row.lastSeenMs},
                       {QStringLiteral("deadline"), row.deadlineMs},
                       {QStringLiteral("connections"), row.connections},
                       {QStringLiteral("nodes"), QJsonArray::fromStringList(row.nodes)}};
}
} // namespace

HttpFrontend::HttpFrontend(PresenceEngine &engine, LocalClients &localClients,
                           RealtimeServer &realtime, Metrics &metrics, QString nodeId,
                           ConnectionLimits limits, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_engine(engine)
    , m_localClients(localClients)
    , m_realtime(realtime)
    , m_metrics(metrics)
    , m_nodeId(std::move(nodeId))
    , m_limits(limits)
    , m_feed(engine)
{
}

GuardedTcpServer::Counters HttpFrontend::connectionCounters() const
{
    GuardedTcpServer::Counters sum;
    for (const GuardedTcpServer *listener : m_listeners) {
        sum.refusedTotal += listener->counters().refusedTotal;
        sum.refusedPerAddress += listener->counters().refusedPerAddress;
        sum.closedIdle += listener->counters().closedIdle;
        sum.refusedOversized += listener->counters().refusedOversized;
    }
    return sum;
}

int HttpFrontend::openConnections() const
{
    int open = 0;
    for (const GuardedTcpServer *listener : m_listeners)
        open += listener->openConnections();
    return open;
}

quint16 HttpFrontend::listenOn(const QHostAddress &host, quint16 port, QString *error, bool reusePort)
{
    auto *server = new GuardedTcpServer(m_limits, this);
    // Qt's default backlog (50) overflows in a join storm; the kernel then drops SYNs and the
    // clients retry after 1, 3, 7… s (a 5,000-client storm over 50 rooms: 8 s instead of not
    // finishing within 50 s; bench/README.md). The kernel caps it at net.core.somaxconn.
    constexpr int backlog = 4096;
    server->setListenBacklogSize(backlog);
    if (m_tls)
        server->setTls(*m_tls);
    QString failure;
    if (reusePort ? !listenReusingPort(*server, host, port, backlog, &failure)
                  : !server->listen(host, port)) {
        if (error)
            *error = reusePort ? failure : server->errorString();
        delete server;
        return 0;
    }
    bind(server);
    m_listeners.append(server);
    return server->serverPort();
}

bool HttpFrontend::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    QHttpServerResponder responder = makeResponder(request, socket);
    if (request.url().toEncoded().size() > m_limits.maxUrlBytes) {
        reject(responder, HttpStatus::UriTooLong,
               QStringLiteral("the request target is longer than %1 bytes").arg(m_limits.maxUrlBytes));
        return true;
    }
    const QString path = request.url().path(QUrl::FullyDecoded);
    HttpHeaders cors;
    if (!checkOrigin(request, responder, &cors))
        return true;

    if (request.method() == QHttpServerRequest::Method::Options && !cors.isEmpty()) {
        // A browser's preflight (for Authorization or Last-Event-ID from another origin).
        cors += HttpHeaders{{"Access-Control-Allow-Methods", "GET"},
                            {"Access-Control-Allow-Headers", "Authorization, Last-Event-ID"},
                            {"Access-Control-Max-Age", "600"}};
        replyBytes(responder, HttpStatus::NoContent, "text/plain", {}, cors);
        return true;
    }
    const bool head = request.method() == QHttpServerRequest::Method::Head;
    // Every answer on this connection until the next request: headers, and a body only for GET.
    markHeadOnly(socket, head);
    if (request.method() != QHttpServerRequest::Method::Get && !head) {
        reject(responder, HttpStatus::MethodNotAllowed,
               QStringLiteral("only GET and HEAD are served here"),
               HttpHeaders{{"Allow", "GET, HEAD"}} + cors);
        return true;
    }
    const bool adminRoute = path == u"/metrics" || path == u"/api" || path.startsWith(u"/api/");
    if (adminRoute && !checkAdmin(request, responder, cors))
        return true;
    if (path == u"/")
        servePage(responder);
    else if (path == u"/favicon.ico" || path == u"/robots.txt")
        reject(responder, HttpStatus::NotFound, QStringLiteral("no such resource: ") + path, cors);
    else if (path == u"/health")
        serveHealth(responder, cors);
    else if (path == u"/health/live") // liveness: the process serves (readiness is /health)
        replyJson(responder, HttpStatus::Ok,
                  QJsonObject{{QStringLiteral("status"), QStringLiteral("live")}}, cors);
    else if (path == u"/metrics")
        serveMetrics(responder, cors);
    else if (path == u"/api/presence") {
        // ?room=NAME is /api/rooms/NAME/presence; another parameter is told, not ignored (a
        // mistyped filter used to get every room back, which looked like an answer).
        const QUrlQuery query = request.query();
        std::optional<RoomName> room;
        QString whyNot;
        for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
            if (key != u"room")
                whyNot =
                    QStringLiteral("unknown parameter \"%1\" (only room= is understood)").arg(key);
            else if (room)
                whyNot = QStringLiteral("room= may be given once here; /api/rooms lists them all");
            else if (!(room = RoomName::fromString(value, &whyNot)))
                whyNot = QStringLiteral("invalid room name: ") + whyNot;
            if (!whyNot.isEmpty())
                break;
        }
        if (whyNot.isEmpty())
            servePresence(responder, cors, room);
        else
            reject(responder, HttpStatus::BadRequest, whyNot, cors);
    } else if (path == u"/api/events")
        serveEvents(request, responder, cors);
    else if (path == u"/api/rooms")
        serveRooms(responder, cors);
    else if (path == u"/api/nodes")
        serveNodes(responder, cors);
    else if (path.startsWith(u"/api/rooms/"))
        serveRoomRoute(path, responder, cors);
    else if (path.startsWith(u"/api/") || path == u"/api" || path.indexOf(u'/', 1) >= 0)
        reject(responder, HttpStatus::NotFound, QStringLiteral("no such resource: ") + path, cors);
    else
        serveStream(path.mid(1), request, responder, cors);
    return true;
}

bool HttpFrontend::checkOrigin(const QHttpServerRequest &request, QHttpServerResponder &responder,
                               HttpHeaders *corsHeaders)
{
    const QByteArray origin = request.value("Origin");
    if (m_access.corsOrigins.isEmpty() || origin.isEmpty())
        return true; // same-origin (or not a browser): nothing to allow or refuse
    if (!m_access.corsOrigins.contains(QString::fromUtf8(origin))) {
        reject(responder, HttpStatus::Forbidden,
               QStringLiteral("origin %1 is not allowed here").arg(QString::fromUtf8(origin.left(200))));
        return false;
    }
    *corsHeaders = {{"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}};
    return true;
}

bool HttpFrontend::checkAdmin(const QHttpServerRequest &request, QHttpServerResponder &responder,
                              const HttpHeaders &cors)
{
    if (m_access.adminToken.isEmpty())
        return true;
    const QByteArray authorization = request.value("Authorization");
    if (!authorization.startsWith("Bearer ")) {
        reject(responder, HttpStatus::Unauthorized,
               QStringLiteral("this route needs 'Authorization: Bearer <admin token>'"),
               HttpHeaders{{"WWW-Authenticate", "Bearer realm=\"presence\""}} + cors);
        return false;
    }
    if (!equalInConstantTime(authorization.mid(7).trimmed(), m_access.adminToken)) {
        reject(responder, HttpStatus::Forbidden, QStringLiteral("the admin token is not valid"), cors);
        return false;
    }
    return true;
}

void HttpFrontend::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    QHttpServerResponder responder = makeResponder(request, socket);
    reject(responder, HttpStatus::NotFound, QStringLiteral("no such resource"));
}

void HttpFrontend::reject(QHttpServerResponder &responder, HttpStatus status,
                          const QString &message, const HttpHeaders &headers)
{
    ++m_metrics.requestsRejected;
    replyError(responder, status, message, headers);
}

void HttpFrontend::serveStream(const QString &clientText, const QHttpServerRequest &request,
                               QHttpServerResponder &responder, const HttpHeaders &corsHeaders)
{
    QString whyNot;
    const auto client = ClientId::fromString(clientText, &whyNot);
    if (!client) {
        reject(responder, HttpStatus::BadRequest, QStringLiteral("invalid client id: ") + whyNot,
               corsHeaders);
        return;
    }
    if (m_access.clientTokens) {
        // EventSource cannot set headers: the token may come in the query string too.
        QByteArray token = request.query().queryItemValue(QStringLiteral("token"), QUrl::FullyEncoded).toUtf8();
        const QByteArray authorization = request.value("Authorization");
        if (token.isEmpty() && authorization.startsWith("Bearer "))
            token = authorization.mid(7).trimmed();
        const auto verdict = m_access.clientTokens->verify(
            token, *client, QDateTime::currentSecsSinceEpoch());
        if (verdict != ClientTokens::Verdict::Valid) {
            const bool missing = verdict == ClientTokens::Verdict::Missing;
            HttpHeaders headers = corsHeaders;
            if (missing)
                headers.append(qMakePair(QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"presence\"")));
            reject(responder, missing ? HttpStatus::Unauthorized : HttpStatus::Forbidden,
                   ClientTokens::explain(verdict), headers);
            return;
        }
    }
    const auto rooms = roomsOf(request, &whyNot);
    if (!rooms) {
        reject(responder, HttpStatus::BadRequest, whyNot, corsHeaders);
        return;
    }
    if (m_realtime.sessionCount() >= m_limits.maxSessions) {
        ++m_metrics.sessionsRefused;
        reject(responder, HttpStatus::ServiceUnavailable,
               QStringLiteral("this node holds its maximum of %1 sessions; try another node or later")
                   .arg(m_limits.maxSessions),
               {{"Retry-After", "5"}});
        return;
    }
    if (m_realtime.sessionsFrom(request.remoteAddress()) >= m_limits.maxSessionsPerAddress) {
        ++m_metrics.sessionsRefused;
        reject(responder, HttpStatus::TooManyRequests,
               QStringLiteral("too many sessions from your address (at most %1)")
                   .arg(m_limits.maxSessionsPerAddress),
               {{"Retry-After", "5"}});
        return;
    }
    if (request.method() == QHttpServerRequest::Method::Head) {
        // What GET would answer, without opening a stream.
        replyBytes(responder, HttpStatus::Ok, "text/event-stream; charset=utf-8", {}, corsHeaders);
        return;
    }
    RealtimeServer::LastSeen lastSeen;
    const QByteArray resumeFrom = request.value("Last-Event-ID").trimmed();
    if (!resumeFrom.isEmpty()) {
        if (const auto id = EventId::parse(resumeFrom)) {
            lastSeen = RealtimeServer::LastSeen::from(id);
        } else if (auto cursor = RoomCursor::parse(resumeFrom)) {
            lastSeen.kind = RealtimeServer::LastSeen::Kind::Cursor;
            lastSeen.roomIds = std::move(cursor->ids);
        } else {
            // A malformed id is not worth refusing the stream for, nor a replay from the
            // start: the client gets a fresh roster that also lists who went OFFLINE, as
            // after a gap.
            qCDebug(lcHttp) << "malformed Last-Event-ID from" << clientText << "- fresh roster";
            lastSeen.kind = RealtimeServer::LastSeen::Kind::Unreadable;
        }
    }
    // QAbstractHttpServer (6.4) listens to every socket's readyRead with itself as the
    // context, and finds the listener behind each new connection with sender(), which walks the
    // list of all of them: accepting got O(N) in open streams (34 % of the node's time at 12k;
    // perf, bench/README.md). A stream sends no further request, so it leaves that list.
    if (QTcpSocket *socket = responder.socket())
        QObject::disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    m_realtime.openSession(*client, *rooms, std::move(responder), lastSeen, corsHeaders);
}

std::optional<QList<RoomName>> HttpFrontend::roomsOf(const QHttpServerRequest &request,
                                                     QString *whyNot) const
{
    const QStringList names = request.query().allQueryItemValues(QStringLiteral("room"),
                                                                 QUrl::FullyDecoded);
    QList<RoomName> rooms;
    for (const QString &name : names) {
        QString why;
        const auto room = RoomName::fromString(name, &why);
        if (!room) {
            *whyNot = QStringLiteral("invalid room name: ") + why;
            return std::nullopt;
        }
        if (!rooms.contains(*room))
            rooms.append(*room);
    }
    if (rooms.size() > m_limits.maxRoomsPerSession) {
        *whyNot = QStringLiteral("a stream may join at most %1 rooms; this one asked for %2")
                      .arg(m_limits.maxRoomsPerSession)
                      .arg(rooms.size());
        return std::nullopt;
    }
    if (rooms.isEmpty())
        rooms.append(RoomName{});
    return rooms;
}

void HttpFrontend::serveHealth(QHttpServerResponder &responder, const HttpHeaders &cors)
{
    // Readiness: 503 whenever this node cannot tell the truth (store down, hung or half
    // connected, library missing), since load balancers and probes read only the code; the
    // body says why. The node still serves its sessions from the last known roster meanwhile.
    const PresenceEngine::Health health = m_engine.health();
    replyJson(
        responder, health.ok ? HttpStatus::Ok : HttpStatus::ServiceUnavailable,
        QJsonObject{{QStringLiteral("status"),
                     health.ok ? QStringLiteral("ok") : QStringLiteral("degraded")},
                    {QStringLiteral("engine"), m_engine.kind()},
                    {QStringLiteral("store"), health.state},
                    {QStringLiteral("storeError"), health.detail},
                    {QStringLiteral("node"), m_nodeId},
                    {QStringLiteral("sessions"), qint64(m_realtime.sessionCount())},
                    {QStringLiteral("heartbeatsPaused"), m_localClients.heartbeatsPaused()},
                    {QStringLiteral("processorsBehindMs"), m_engine.processorBacklog().behindMs}},
        cors);
}

void HttpFrontend::serveMetrics(QHttpServerResponder &responder, const HttpHeaders &cors)
{
    MetricsGauges gauges;
    const QList<ClientPresence> rows = m_engine.snapshot();
    gauges.knownClients = rows.size();
    gauges.onlineClients = std::count_if(rows.cbegin(), rows.cend(), [](const ClientPresence &r) {
        return r.status == PresenceStatus::Online;
    });
    gauges.sessions = m_realtime.sessionCount();
    gauges.localClients = m_localClients.heldMembers().size();
    gauges.heartbeatsPaused = m_localClients.heartbeatsPaused();
    const GuardedTcpServer::Counters counters = connectionCounters();
    gauges.connections = openConnections();
    gauges.connectionsRefused = counters.refusedTotal + counters.refusedPerAddress;
    gauges.connectionsClosedOversized = counters.refusedOversized;
    gauges.connectionsClosedIdle = counters.closedIdle;
    gauges.engine = m_engine.kind();
    gauges.processors = m_engine.processorBacklog();
    gauges.node = m_nodeId;
    if (m_diagnostics) {
        gauges.diagnostics = m_diagnostics->last();
        gauges.alerts = m_diagnostics->alerts();
    }
    constexpr qsizetype busiestRoomsShown = 10;
    const QList<RoomOccupancy> rooms = occupancyOf(rows);
    gauges.rooms = rooms.size();
    for (const RoomOccupancy &room : rooms.first(std::min(busiestRoomsShown, rooms.size())))
        gauges.busiestRooms.append({room.room.toString(), room.online});
    replyBytes(responder, HttpStatus::Ok, "text/plain; version=0.0.4; charset=utf-8",
               renderPrometheus(m_metrics, gauges), cors);
}

void HttpFrontend::serveRoomRoute(const QString &path, QHttpServerResponder &responder,
                                  const HttpHeaders &cors)
{
    // /api/rooms/{room}/presence
    const QStringView rest = QStringView(path).mid(qsizetype(sizeof("/api/rooms/")) - 1);
    const qsizetype slash = rest.indexOf(u'/');
    if (slash < 0 || rest.mid(slash) != u"/presence") {
        reject(responder, HttpStatus::NotFound, QStringLiteral("no such resource: ") + path, cors);
        return;
    }
    QString whyNot;
    const auto room = RoomName::fromString(rest.left(slash), &whyNot);
    if (!room) {
        reject(responder, HttpStatus::BadRequest, QStringLiteral("invalid room name: ") + whyNot,
               cors);
        return;
    }
    servePresence(responder, cors, *room);
}

void HttpFrontend::serveRooms(QHttpServerResponder &responder, const HttpHeaders &cors)
{
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = held->socket();
    m_engine.readRoster([this, held, socket, cors](const QList<ClientPresence> &rows) {
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        QJsonArray rooms;
        for (const RoomOccupancy &room : occupancyOf(rows)) {
            rooms.append(QJsonObject{{QStringLiteral("room"), room.room.toString()},
                                     {QStringLiteral("online"), room.online},
                                     {QStringLiteral("known"), room.known}});
        }
        replyJson(*held, HttpStatus::Ok,
                  QJsonObject{{QStringLiteral("node"), m_nodeId}, {QStringLiteral("rooms"), rooms}},
                  cors);
    });
}

void HttpFrontend::serveNodes(QHttpServerResponder &responder, const HttpHeaders &cors)
{
    // The monitor's last read (at most a second old): a request costs the store nothing.
    if (!m_diagnostics || !m_diagnostics->last().valid) {
        replyError(responder, HttpStatus::ServiceUnavailable,
                   QStringLiteral("the node's figures are not read yet"), cors);
        return;
    }
    replyJson(responder, HttpStatus::Ok,
              nodesToJson(m_diagnostics->last(), m_diagnostics->alerts()), cors);
}

void HttpFrontend::servePresence(QHttpServerResponder &responder, const HttpHeaders &cors,
                                 std::optional<RoomName> room)
{
    // The roster may come from Redis later: hold the responder, and drop the answer if the
    // client went away meanwhile (writing to a deleted socket would crash).
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = held->socket();
    m_engine.readRoster([this, held, socket, cors, room](QList<ClientPresence> rows) {
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        QJsonArray clients;
        qint64 online = 0;
        for (const ClientPresence &row : rows) {
            if (room && row.room != *room)
                continue;
            clients.append(toJson(row));
            if (row.status == PresenceStatus::Online)
                ++online;
        }
        QJsonObject answer{{QStringLiteral("node"), m_nodeId},
                           {QStringLiteral("lastEventId"), m_engine.lastEventId().toString()},
                           {QStringLiteral("online"), online},
                           {QStringLiteral("clients"), clients}};
        if (room)
            answer.insert(QStringLiteral("room"), room->toString());
        replyJson(*held, HttpStatus::Ok, answer, cors);
    });
}

void HttpFrontend::serveEvents(const QHttpServerRequest &request, QHttpServerResponder &responder,
                               const HttpHeaders &cors)
{
    std::optional<RoomName> room;
    QString whyNot;
    for (const auto &[key, value] : request.query().queryItems(QUrl::FullyDecoded)) {
        if (key != u"room")
            whyNot = QStringLiteral("unknown parameter \"%1\" (only room= is understood)").arg(key);
        else if (room)
            whyNot = QStringLiteral("room= may be given once here");
        else if (!(room = RoomName::fromString(value, &whyNot)))
            whyNot = QStringLiteral("invalid room name: ") + whyNot;
        if (!whyNot.isEmpty()) {
            reject(responder, HttpStatus::BadRequest, whyNot, cors);
            return;
        }
    }
    if (request.method() == QHttpServerRequest::Method::Head) {
        replyBytes(responder, HttpStatus::Ok, "text/event-stream; charset=utf-8", {}, cors);
        return;
    }
    m_feed.open(std::move(responder), room, cors);
}

void HttpFrontend::servePage(QHttpServerResponder &responder)
{
    QFile page(QStringLiteral(":/presence/web/index.html"));
    if (!page.open(QIODevice::ReadOnly)) {
        replyError(responder, HttpStatus::InternalServerError,
                   QStringLiteral("the page resource is missing from this build"));
        return;
    }
    replyBytes(responder, HttpStatus::Ok, "text/html; charset=utf-8", page.readAll());
}

} // namespace presence
