#pragma once

#include "Options.h"
#include "engine/Clock.h"
#include "engine/DiagnosticsMonitor.h"
#include "engine/LocalClients.h"
#include "engine/PresenceEngine.h"
#include "http/HttpFrontend.h"
#include "http/Metrics.h"
#include "http/RealtimeServer.h"
#include "redis/RedisUrl.h"

#include <QObject>

#include <memory>

namespace presence {
class EmbeddedRedis;
class KeyspaceSwitch;
}

namespace presence {

// Everything one node runs, built from the options and owned in one place: the engine,
// this node's clients, the SSE server and the HTTP front. The dashboard and the headless
// server hold one of these; nothing in it is global.
class PresenceBackend final : public QObject {
    Q_OBJECT
public:
    explicit PresenceBackend(const Options &options, QObject *parent = nullptr);
    ~PresenceBackend() override;

    // Tuning that has no command-line option (tests use short keepalives and small bounds).
    void setRealtimeConfig(const RealtimeServer::Config &config) { m_realtimeConfig = config; }
    void setConnectionLimits(const ConnectionLimits &limits) { m_limits = limits; }
    // The dashboard's choice: when the listen port cannot be had (another program holds it),
    // listen on a free port instead and say so in listenNote() and the log. A server never
    // does this: clients and proxies expect it where it was told to listen.
    void setFreePortFallback(bool on) { m_freePortFallback = on; }

    // Builds the engine and starts listening; false with *error set when it cannot.
    bool start(QString *error);
    // Closes every session and stops listening. Safe to call twice.
    void shutdown();

    // What the node was started with (the dashboard's settings show where it stores).
    const Options &options() const { return m_options; }
    PresenceEngine &engine() { return *m_engine; }
    LocalClients &localClients() { return *m_localClients; }
    RealtimeServer &realtime() { return *m_realtime; }
    // The engine's figures and the alerts, read every second (what /metrics and /api/nodes show).
    DiagnosticsMonitor &diagnostics() { return *m_diagnostics; }
    const Metrics &metrics() const { return m_metrics; }
    const QString &nodeId() const { return m_nodeId; }
    // The private redis-server of the embedded default, or null.
    const EmbeddedRedis *embeddedRedis() const { return m_embeddedRedis.get(); }
    // --observe: watching a deployment; nothing listens (port() 0, baseUrl() empty).
    bool isObserver() const { return m_options.observe; }
    // What an observer watches (a Redis or a node), password hidden; empty on a node.
    QString observedTarget() const;
    // An observer of a Redis: the keyspace setting it may change on the operator's word; else null.
    KeyspaceSwitch *keyspaceSwitch() const { return m_keyspaceSwitch.get(); }
    quint16 port() const { return m_port; }
    QString baseUrl() const;
    // The Redis this node stores in, password hidden ("***"); empty on the in-memory engine.
    QString redisAddress() const;
    // Empty, or why the node listens elsewhere than it was told (setFreePortFallback()).
    const QString &listenNote() const { return m_listenNote; }

private:
    Options m_options;
    QString m_nodeId;
    SystemClock m_clock;
    Metrics m_metrics;
    RealtimeServer::Config m_realtimeConfig;
    ConnectionLimits m_limits;
    bool createEngine(QString *error);
    bool runsOnACluster(const RedisUrl &url, QString *error) const;

    std::unique_ptr<EmbeddedRedis> m_embeddedRedis; // declared first: destroyed last
    std::unique_ptr<PresenceEngine> m_engine;
    std::unique_ptr<LocalClients> m_localClients;
    std::unique_ptr<RealtimeServer> m_realtime;
    std::unique_ptr<DiagnosticsMonitor> m_diagnostics;
    std::unique_ptr<HttpFrontend> m_http;
    std::unique_ptr<KeyspaceSwitch> m_keyspaceSwitch;
    quint16 m_port = 0;
    bool m_freePortFallback = false;
    QString m_listenNote;
};

} // namespace presence
