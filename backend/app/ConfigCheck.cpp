#include "ConfigCheck.h"

#include "DeploymentRedis.h"

#include "http/ConnectionLimits.h"
#include "http/ReusePort.h"
#include "redis/EmbeddedRedis.h"
#include "redis/RedisTls.h"
#include "tls/PemFiles.h"
#include "redis/RedisUrl.h"

#include <QHostAddress>
#include <QTcpServer>
#include <algorithm>
#include <sys/resource.h>

namespace presence {

namespace {
QHostAddress listenAddress(const QString &host)
{
    return host == u"localhost" ? QHostAddress(QHostAddress::LocalHost) : QHostAddress(host);
}
} // namespace

int requiredOpenFiles(const Options &options)
{
    // The same arithmetic as PresenceBackend::start(): raising the session limit raises the
    // connection limit with it.
    const ConnectionLimits defaults;
    int connections = defaults.maxConnections;
    if (options.maxSessions > 0)
        connections = std::max(connections, options.maxSessions + 100);
    return connections + openFileHeadroom;
}

QStringList configProblems(const Options &options, const HostFacts &facts)
{
    QStringList problems;
    if (!options.redisUrl.isEmpty()) {
        QString whyNot;
        const auto url = deploymentRedisUrl(options, &whyNot);
        if (!url)
            problems.append(whyNot);
        else if (url->usesTls() &&
                 !redisTlsConfiguration({options.redisTlsCa, options.redisTlsCert,
                                         options.redisTlsKey},
                                        &whyNot))
            problems.append(QStringLiteral("TLS to Redis: ") + whyNot);
    } else if (options.engine == EngineChoice::Redis && !facts.redisServerInstalled) {
        problems.append(
            QStringLiteral("--backend redis without --redis needs a redis-server installed "
                           "(for the private one); none found on PATH or in /usr/bin"));
    }
    if (!options.redisPassword.isEmpty() && options.redisUrl.isEmpty())
        problems.append(QStringLiteral(
            "a Redis password is set (--redis-password-file, PRESENCE_REDIS_PASSWORD "
            "or the redis-password credential) but no --redis to use it with"));
    if (!options.tlsCert.isEmpty()) {
        QString whyNot;
        if (!listenerTlsConfiguration(options.tlsCert, options.tlsKey, &whyNot))
            problems.append(QStringLiteral("HTTPS: ") + whyNot);
    }
    if (listenAddress(options.listenHost).isNull())
        problems.append(QStringLiteral("--listen: \"%1\" is not an IP address (or localhost)")
                            .arg(options.listenHost));
    else if (!facts.listenProblem.isEmpty())
        problems.append(QStringLiteral("--listen %1:%2: %3")
                            .arg(options.listenHost)
                            .arg(options.listenPort)
                            .arg(facts.listenProblem));
    const int needed = requiredOpenFiles(options);
    if (facts.openFileLimit >= 0 && facts.openFileLimit < needed) {
        const ConnectionLimits defaults;
        const int sessions = options.maxSessions > 0 ? options.maxSessions : defaults.maxSessions;
        problems.append(
            QStringLiteral("open-file limit %1 is below the %2 this node needs for %3 sessions "
                           "(connections + %4): raise it (ulimit -n, LimitNOFILE=) or lower "
                           "--max-sessions")
                .arg(facts.openFileLimit)
                .arg(needed)
                .arg(sessions)
                .arg(openFileHeadroom));
    }
    return problems;
}

QStringList unknownPresenceVariables(const QProcessEnvironment &environment)
{
    QStringList known;
    for (const OptionSpec &spec : optionTable())
        known.append(optionEnvironmentName(spec.name));
    for (const SecretSource &secret : secretSources())
        known.append(QString::fromLatin1(secret.variable));
    known.append(QStringLiteral("PRESENCE_SSE_DIRECT_WRITES")); // a benchmark switch (app/main.cpp)
    QStringList unknown;
    for (const QString &name : environment.keys()) {
        if (name.startsWith(u"PRESENCE_") && !known.contains(name))
            unknown.append(name);
    }
    unknown.sort();
    return unknown;
}

HostFacts probeHost(const Options &options)
{
    HostFacts facts;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        facts.openFileLimit = qint64(limit.rlim_cur);
    facts.redisServerInstalled = !EmbeddedRedis::findServer().isEmpty();
    const QHostAddress host = listenAddress(options.listenHost);
    if (!host.isNull()) {
        // Bind and let go at once: a port taken by another process or below 1024 without the
        // capability is found now, not when the service starts.
        // With --reuse-port, as the node will: a port other nodes hold that way is no problem.
        QTcpServer probe;
        if (options.reusePort) {
            QString error;
            if (!listenReusingPort(probe, host, options.listenPort, 1, &error))
                facts.listenProblem = error;
        } else if (!probe.listen(host, options.listenPort)) {
            facts.listenProblem = probe.errorString();
        }
    }
    return facts;
}

} // namespace presence
