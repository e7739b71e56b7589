#include "PresenceBackend.h"

#include "app/DeploymentRedis.h"
#include "engine/MemoryPresenceEngine.h"
#include "observe/KeyspaceSwitch.h"
#include "observe/ObserverFactory.h"
#include "observe/RedisObserverEngine.h"
#include "tls/PemFiles.h"
#include "redis/EmbeddedRedis.h"
#include "redis/ClusterPresenceEngine.h"
#include "redis/ClusterProbe.h"
#include "redis/RedisPresenceEngine.h"

#include <QHostAddress>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcBackend, "presence.backend")

namespace presence {

PresenceBackend::PresenceBackend(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_nodeId(options.nodeId.isEmpty() ? defaultNodeId() : options.nodeId)
{
}

PresenceBackend::~PresenceBackend() { shutdown(); }

bool PresenceBackend::start(QString *error)
{
    if (!createEngine(error))
        return false;

    m_localClients = std::make_unique<LocalClients>(*m_engine, m_clock);
    if (m_options.observe) {
        // Watching only: no listener, no heartbeat timer; the clients and the (idle) realtime
        // server exist for the dashboard's views, which hold none in observer mode.
        m_realtime = std::make_unique<RealtimeServer>(*m_engine, *m_localClients, m_metrics,
                                                      m_realtimeConfig);
        m_diagnostics = std::make_unique<DiagnosticsMonitor>(*m_engine);
        m_diagnostics->start();
        qCInfo(lcBackend).noquote() << "observer" << m_nodeId << "- listening on no port";
        return true;
    }
    if (m_options.keepaliveMs)
        m_realtimeConfig.keepaliveMs = *m_options.keepaliveMs;
    if (m_options.peerTimeoutMs)
        m_realtimeConfig.sessionLimits.peerTimeoutMs = *m_options.peerTimeoutMs;
    m_realtime = std::make_unique<RealtimeServer>(*m_engine, *m_localClients, m_metrics,
                                                  m_realtimeConfig);
    // Raising a session limit on the command line raises the connection limit with it (a
    // session is a connection, and a few more are wanted for /health, /metrics, …).
    if (m_options.maxSessions > 0) {
        m_limits.maxSessions = m_options.maxSessions;
        m_limits.maxConnections = std::max(m_limits.maxConnections, m_limits.maxSessions + 100);
    }
    if (m_options.maxSessionsPerAddress > 0) {
        m_limits.maxSessionsPerAddress = m_options.maxSessionsPerAddress;
        m_limits.maxPerAddress = std::max(m_limits.maxPerAddress, m_limits.maxSessionsPerAddress + 100);
    }
    // The node's record says how many sessions it holds (see DiagnosticsMonitor).
    connect(m_realtime.get(), &RealtimeServer::sessionCountChanged, m_engine.get(),
            [engine = m_engine.get()](qsizetype sessions) { engine->setSessionCount(sessions); });
    m_diagnostics = std::make_unique<DiagnosticsMonitor>(*m_engine);
    m_http = std::make_unique<HttpFrontend>(*m_engine, *m_localClients, *m_realtime, m_metrics,
                                            m_nodeId, m_limits);
    m_http->setDiagnostics(m_diagnostics.get());
    AccessPolicy access;
    if (!m_options.tokenSecret.isEmpty())
        access.clientTokens.emplace(m_options.tokenSecret);
    access.adminToken = m_options.adminToken;
    access.corsOrigins = m_options.corsOrigins;
    m_http->setAccessPolicy(access);

    const QHostAddress host = m_options.listenHost == u"localhost"
                                  ? QHostAddress(QHostAddress::LocalHost)
                                  : QHostAddress(m_options.listenHost);
    if (host.isNull()) {
        *error = QStringLiteral("cannot listen on \"%1\": not an IP address").arg(m_options.listenHost);
        return false;
    }
    if (!m_options.tlsCert.isEmpty()) {
        QString tlsError;
        const auto tls = listenerTlsConfiguration(m_options.tlsCert, m_options.tlsKey, &tlsError);
        if (!tls) {
            *error = QStringLiteral("cannot serve HTTPS: ") + tlsError;
            return false;
        }
        m_http->setTls(*tls);
    }
    QString listenError;
    m_port = m_http->listenOn(host, m_options.listenPort, &listenError, m_options.reusePort);
    if (m_port == 0 && m_freePortFallback && m_options.listenPort != 0 && !m_options.reusePort) {
        m_port = m_http->listenOn(host, 0, nullptr);
        if (m_port != 0) {
            m_listenNote =
                QStringLiteral("%1:%2 is not available (%3); listening on port %4 instead")
                    .arg(m_options.listenHost)
                    .arg(m_options.listenPort)
                    .arg(listenError)
                    .arg(m_port);
            qCWarning(lcBackend).noquote() << m_listenNote;
        }
    }
    if (m_port == 0) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(m_options.listenHost)
                     .arg(m_options.listenPort)
                     .arg(listenError);
        return false;
    }
    m_localClients->start();
    m_diagnostics->start();
    if (!host.isLoopback() && m_options.tokenSecret.isEmpty())
        qCWarning(lcBackend).noquote()
            << "listening beyond loopback without client tokens: anyone can be present as anyone "
               "(set PRESENCE_TOKEN_SECRET or --token-secret-file)";
    const PresenceTiming timing = m_engine->timing();
    qCInfo(lcBackend).noquote() << QStringLiteral(
                                       "node %1 listening on %2 (heartbeat %3 ms, ttl %4 ms, grace %5 ms)")
                                       .arg(m_nodeId, baseUrl())
                                       .arg(timing.heartbeatMs)
                                       .arg(timing.ttlMs())
                                       .arg(timing.graceMs);
    return true;
}

bool PresenceBackend::createEngine(QString *error)
{
    if (m_options.observe) {
        m_engine = startObserverEngine(m_options, m_nodeId, error);
        if (auto *redis = qobject_cast<RedisObserverEngine *>(m_engine.get()))
            m_keyspaceSwitch = std::make_unique<KeyspaceSwitch>(redis->commands());
        return m_engine != nullptr;
    }
    std::optional<RedisUrl> url;
    if (!m_options.redisUrl.isEmpty()) {
        url = deploymentRedisUrl(m_options, error);
        if (!url)
            return false;
    } else if (m_options.engine != EngineChoice::Memory) {
        m_embeddedRedis = std::make_unique<EmbeddedRedis>();
        QString whyNot;
        if (m_embeddedRedis->start(&whyNot)) {
            url = m_embeddedRedis->url();
        } else {
            m_embeddedRedis.reset();
            if (m_options.engine == EngineChoice::Redis) {
                *error = QStringLiteral("cannot start a private redis-server: ") + whyNot;
                return false;
            }
            qCWarning(lcBackend).noquote()
                << QStringLiteral("cannot start a private redis-server (%1); running the in-memory "
                                  "engine instead")
                       .arg(whyNot);
        }
    }
    if (!url) {
        m_engine = std::make_unique<MemoryPresenceEngine>(m_clock, m_options.timing, m_nodeId);
        qCInfo(lcBackend).noquote() << "engine: in-memory (single node; no Redis)";
        return true;
    }
    RedisPresenceEngine::Config config;
    config.keys.prefix = m_options.keyPrefix.toUtf8();
    config.nodeId = m_nodeId;
    config.timing = m_options.timing;
    config.heartbeatEntryMembers = m_options.heartbeatEntryMembers;
    QString clusterError;
    if (runsOnACluster(*url, &clusterError)) { // docs/cluster.md
        ClusterPresenceEngine::Config cluster;
        cluster.shard = config;
        cluster.lingerMs = m_options.shardLingerMs;
        auto engine = std::make_unique<ClusterPresenceEngine>(*url, cluster);
        engine->start();
        m_engine = std::move(engine);
        return true;
    }
    if (!clusterError.isEmpty()) {
        *error = clusterError;
        return false;
    }
    auto engine = std::make_unique<RedisPresenceEngine>(*url, config);
    engine->start();
    m_engine = std::move(engine);
    return true;
}

// Several hosts in --redis are a cluster's seeds; one host is a cluster node if it says so
// (asked once, for up to 2 s: a node that does not answer by then runs the plain engine,
// which names a cluster node once it can reach it). Sets `error` for an option a cluster
// cannot honour.
bool PresenceBackend::runsOnACluster(const RedisUrl &url, QString *error) const
{
    if (url.seeds().size() > 1)
        return true;
    if (url.seeds().isEmpty() || m_embeddedRedis) // Sentinel, unix socket, our own redis-server
        return false;
    constexpr int probeTimeoutMs = 2000;
    if (probeClusterNode(url, probeTimeoutMs) != true)
        return false;
    if (!m_options.keyPrefix.isEmpty()) {
        *error = QStringLiteral("--key-prefix does not apply to a Redis Cluster (%1 is a cluster "
                                "node): each shard's keys carry its own hash tag")
                     .arg(url.toDisplayString());
        return false;
    }
    qCInfo(lcBackend).noquote() << url.toDisplayString()
                                << "is a Redis Cluster node: running on the cluster";
    return true;
}

QString PresenceBackend::redisAddress() const
{
    if (m_embeddedRedis)
        return m_embeddedRedis->url().toDisplayString();
    if (!m_engine || !m_engine->kind().startsWith(u"redis"))
        return {};
    const std::optional<RedisUrl> url = RedisUrl::parse(m_options.redisUrl);
    return url ? url->toDisplayString() : QString();
}

QString PresenceBackend::observedTarget() const
{
    if (!m_options.observe)
        return {};
    if (!m_options.observeUrl.isEmpty())
        return m_options.observeUrl;
    const std::optional<RedisUrl> url = RedisUrl::parse(m_options.redisUrl);
    return url ? url->toDisplayString() : m_options.redisUrl;
}

QString PresenceBackend::baseUrl() const
{
    if (m_options.observe)
        return {}; // nothing listens

    QString host = m_options.listenHost;
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    const QLatin1StringView scheme = m_options.tlsCert.isEmpty() ? QLatin1StringView("http")
                                                                 : QLatin1StringView("https");
    return QStringLiteral("%1://%2:%3").arg(scheme, host).arg(m_port);
}

void PresenceBackend::shutdown()
{
    if (m_realtime) {
        const qsizetype closed = m_realtime->closeAll();
        if (closed > 0)
            qCInfo(lcBackend) << "closed" << closed << "sessions";
    }
    // Order matters: the HTTP front and the sessions refer to the clients and the engine.
    m_http.reset();
    m_diagnostics.reset();
    m_realtime.reset();
    m_localClients.reset();
    m_keyspaceSwitch.reset();
    m_engine.reset();
    if (m_embeddedRedis)
        m_embeddedRedis->stop();
}

} // namespace presence
