#pragma once

#include "AdminEventFeed.h"
#include "ConnectionLimits.h"
#include "auth/AccessPolicy.h"
#include "GuardedTcpServer.h"
#include "HttpReply.h"
#include "Metrics.h"
#include "RealtimeServer.h"

#include <QAbstractHttpServer>
#include <QHostAddress>
#include <QSslConfiguration>
#include <optional>

namespace presence {

class DiagnosticsMonitor;

// The HTTP face of a node. Routes by hand over QAbstractHttpServer (rather than the
// QHttpServer router) so every refusal is ours to word: JSON bodies for 400/404/405.
//
//   GET /               the live roster page
//   GET /health         liveness and what this node runs
//   GET /metrics        Prometheus text
//   GET /api/presence   JSON snapshot of the roster
//   GET /api/events     every room's changes as SSE, for observers (AdminEventFeed)
//   GET /api/nodes      every node of the deployment, its consumers, the alerts
//   GET /{client}       the SSE stream of presence changes (the seed's contract)
class HttpFrontend final : public QAbstractHttpServer {
    Q_OBJECT
public:
    HttpFrontend(PresenceEngine &engine, LocalClients &localClients, RealtimeServer &realtime,
                 Metrics &metrics, QString nodeId, ConnectionLimits limits = {},
                 QObject *parent = nullptr);

    // Listens on host:port (0 picks a free port); returns the port, or 0 on failure.
    // reusePort: SO_REUSEPORT, the port shared with other nodes on this host (ReusePort.h).
    quint16 listenOn(const QHostAddress &host, quint16 port, QString *error, bool reusePort = false);
    // HTTPS for the listeners opened from now on (the page, the API and the streams alike).
    void setTls(const QSslConfiguration &configuration) { m_tls = configuration; }
    void setAccessPolicy(AccessPolicy policy) { m_access = std::move(policy); }
    // Where /metrics and /api/nodes read the deployment's figures and alerts from.
    void setDiagnostics(const DiagnosticsMonitor *monitor) { m_diagnostics = monitor; }
    // Connection counters of the listening sockets, for /metrics and the dashboard.
    GuardedTcpServer::Counters connectionCounters() const;
    int openConnections() const;

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    void serveStream(const QString &path, const QHttpServerRequest &request,
                     QHttpServerResponder &responder, const HttpHeaders &corsHeaders);
    // False when the request was refused (the answer is written).
    bool checkOrigin(const QHttpServerRequest &request, QHttpServerResponder &responder,
                     HttpHeaders *corsHeaders);
    bool checkAdmin(const QHttpServerRequest &request, QHttpServerResponder &responder,
                    const HttpHeaders &cors);
    void serveHealth(QHttpServerResponder &responder, const HttpHeaders &cors);
    void serveMetrics(QHttpServerResponder &responder, const HttpHeaders &cors);
    // The shared roster: every room, or one (GET /api/rooms/{room}/presence).
    void servePresence(QHttpServerResponder &responder, const HttpHeaders &cors,
                       std::optional<RoomName> room = std::nullopt);
    void serveRooms(QHttpServerResponder &responder, const HttpHeaders &cors);
    void serveEvents(const QHttpServerRequest &request, QHttpServerResponder &responder,
                     const HttpHeaders &cors);
    void serveNodes(QHttpServerResponder &responder, const HttpHeaders &cors);
    void serveRoomRoute(const QString &path, QHttpServerResponder &responder,
                        const HttpHeaders &cors);
    // The rooms of GET /{client}?room=…: the default room when none is named; nullopt (and
    // *whyNot) when a name breaks the rule or there are too many.
    std::optional<QList<RoomName>> roomsOf(const QHttpServerRequest &request, QString *whyNot) const;
    void servePage(QHttpServerResponder &responder);
    void reject(QHttpServerResponder &responder, HttpStatus status, const QString &message,
                const HttpHeaders &headers = {});

    PresenceEngine &m_engine;
    LocalClients &m_localClients;
    RealtimeServer &m_realtime;
    Metrics &m_metrics;
    QString m_nodeId;
    ConnectionLimits m_limits;
    AccessPolicy m_access;
    QList<GuardedTcpServer *> m_listeners;
    const DiagnosticsMonitor *m_diagnostics = nullptr;
    std::optional<QSslConfiguration> m_tls;
    AdminEventFeed m_feed;
};

} // namespace presence
