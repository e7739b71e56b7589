#include "Options.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHostInfo>
#include <QUrl>

#include <algorithm>
#include <array>
#include <iterator>

#include "model/ClientId.h"

namespace presence {

std::optional<qint64> parseDuration(QStringView text)
{
    text = text.trimmed();
    double scale = 0;
    QStringView number;
    if (text.endsWith(u"ms")) {
        scale = 1;
        number = text.chopped(2);
    } else if (text.endsWith(u's')) {
        scale = 1000;
        number = text.chopped(1);
    } else {
        return std::nullopt;
    }
    bool ok = false;
    const double value = number.toDouble(&ok);
    // Written so that NaN ("nans") fails too: casting it to an integer is undefined.
    if (!ok || !(value >= 0 && value * scale <= 24.0 * 3600 * 1000) || number.isEmpty())
        return std::nullopt;
    return qint64(value * scale + 0.5);
}

bool parseListenAddress(QStringView text, QString *host, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon < 0)
        return false;
    QStringView hostPart = text.first(colon);
    bool ok = false;
    const uint portNumber = text.sliced(colon + 1).toUInt(&ok);
    if (!ok || portNumber > 65535)
        return false;
    if (hostPart.startsWith(u'[') && hostPart.endsWith(u']'))
        hostPart = hostPart.sliced(1, hostPart.size() - 2);
    *host = hostPart.isEmpty() ? QStringLiteral("127.0.0.1") : hostPart.toString();
    *port = quint16(portNumber);
    return true;
}

bool checkObserveUrl(const QString &text, QString *whyNot)
{
    const QUrl url(text, QUrl::StrictMode);
    const bool pathOk = url.path().isEmpty() || url.path() == u"/";
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty()
        || !pathOk || url.hasQuery() || !url.userInfo().isEmpty()) {
        *whyNot = QStringLiteral("expected a node's address like http://host:8080, got \"%1\"").arg(text);
        return false;
    }
    return true;
}

QString defaultNodeId()
{
    return QHostInfo::localHostName() + QLatin1Char(':')
           + QString::number(QCoreApplication::applicationPid());
}

namespace {
// Switches: no value; help and version also have the one-letter forms -h and -v.
constexpr OptionSpec switchOptions[] = {
    {"help", nullptr, "Show this help."},
    {"version", nullptr, "Show the version."},
    {"headless", nullptr, "Run the backend as a server, no window."},
    {"check-config", nullptr,
     "Check the options, the environment, the files they name and the open-file limit, say what is "
     "wrong (or \"configuration OK\") and exit: 0 if usable, 1 if not."},
    {"help-man", nullptr, "Print the manual page presence(1) as roff and exit."},
    {"reuse-port", nullptr,
     "Listen with SO_REUSEPORT: several nodes on this host share the --listen port and the kernel "
     "spreads new connections over them (more cores for one address). Needs the Redis engine with "
     "--redis URL, which the nodes share; refused with the memory engine."},
    {"observe", nullptr,
     "Watch a deployment read-only: through its Redis (with --redis URL), or through a node "
     "(--observe http://host:port, with the admin token). Registers, consumes, loads and changes "
     "nothing and listens on no port; with --headless it prints JSON lines on stdout."},
};

constexpr OptionSpec valueOptions[] = {
    {"listen", "HOST:PORT", "Address to serve HTTP on (default 127.0.0.1:8080; port 0 picks a free one)."},
    {"backend", "auto|memory|redis", "Presence engine: auto = redis if --redis is given, else a private redis-server if installed, else memory."},
    {"redis", "URL", "redis://[user:password@]host:port[/db], rediss://… (TLS), redis-sentinel://host:port[,host:port…][/db]#MASTER (rediss-sentinel:// over TLS) or unix:///path/to.sock"},
    {"redis-tls-ca", "FILE", "PEM CA certificates a rediss:// server's certificate must chain to (default: the system's)."},
    {"redis-tls-cert", "FILE", "PEM client certificate for mutual TLS to Redis (with --redis-tls-key)."},
    {"redis-tls-key", "FILE", "PEM private key of --redis-tls-cert (unencrypted)."},
    {"tls-cert", "FILE", "Serve HTTPS: PEM certificate (chain) of the listener (with --tls-key)."},
    {"tls-key", "FILE", "PEM private key of --tls-cert (unencrypted)."},
    {"heartbeat", "DURATION", "Heartbeat period d, e.g. 5s or 500ms (default 5s)."},
    {"ttl-factor", "X", "A client's key lives X·d after its last heartbeat (default 1.5)."},
    {"grace", "DURATION", "How long a client with no open connection stays ONLINE (default 2s)."},
    {"keepalive", "DURATION", "SSE keepalive comment period (default 5s); also the data a dead peer is found by."},
    {"peer-timeout", "DURATION", "Drop a stream whose data stays unacknowledged, or whose reader's window stays shut, this long (default 6s; 0s: the kernel's ~15 min)."},
    {"node-id", "NAME", "This node's name (default host:pid)."},
    {"max-sessions", "N", "SSE sessions this node holds at most (default 19000)."},
    {"max-sessions-per-address", "N", "SSE sessions from one remote address (default 1000)."},
    {"token-secret-file", "FILE", "Require signed client tokens; the HMAC secret is read from FILE (or set PRESENCE_TOKEN_SECRET)."},
    {"admin-token-file", "FILE", "Require 'Authorization: Bearer <token>' on /api and /metrics; the token is read from FILE (or set PRESENCE_ADMIN_TOKEN)."},
    {"redis-password-file", "FILE", "The password for --redis is read from FILE (or set PRESENCE_REDIS_PASSWORD); it replaces one in the URL."},
    {"cors-origin", "ORIGINS", "Comma-separated origins allowed to use the API and streams from a browser."},
    {"mint-token", "CLIENT", "Print a signed connection token for CLIENT (needs the token secret) and exit."},
    {"token-ttl", "DURATION", "How long a minted token is valid (default 24h as 86400s)."},
    {"key-prefix", "PREFIX", "Prefix of every Redis key and stream (default none: streams are heartbeat and presence)."},
    {"shard-linger", "DURATION", "On a Redis Cluster, a node reads a shard's transitions only while a session (or feed) of its own needs them, and this long after the last one left (default 10s)."},
    {"heartbeat-entry-members", "N", "Members per heartbeat stream entry this node writes (default 500; 1: the seed's one-client entries, which processors of presence before library v7 read — use it while upgrading such nodes)."},
};

constexpr auto allOptions = [] {
    std::array<OptionSpec, std::size(switchOptions) + std::size(valueOptions)> all{};
    std::copy(std::begin(valueOptions), std::end(valueOptions),
              std::copy(std::begin(switchOptions), std::end(switchOptions), all.begin()));
    return all;
}();

constexpr SecretSource secrets[] = {
    {"token-secret-file", "PRESENCE_TOKEN_SECRET", "token-secret"},
    {"admin-token-file", "PRESENCE_ADMIN_TOKEN", "admin-token"},
    {"redis-password-file", "PRESENCE_REDIS_PASSWORD", "redis-password"},
};

QString environmentName(const char *option)
{
    return optionEnvironmentName(option);
}
} // namespace

std::span<const OptionSpec> optionTable()
{
    return allOptions;
}
std::span<const SecretSource> secretSources()
{
    return secrets;
}

QString optionEnvironmentName(const char *option)
{
    return QStringLiteral("PRESENCE_")
           + QString::fromLatin1(option).toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
}

OptionsParse parseOptions(const QStringList &arguments, const QProcessEnvironment &environment)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "presence: who is online, within a known time.\n"
        "Without --headless opens the operator dashboard. Every option can also be set\n"
        "in the environment as PRESENCE_<OPTION> (e.g. PRESENCE_REDIS)."));
    for (const OptionSpec &spec : optionTable()) {
        QStringList names{QString::fromLatin1(spec.name)};
        if (names.first() == u"help" || names.first() == u"version")
            names.prepend(names.first().left(1));
        parser.addOption(spec.valueName ? QCommandLineOption(names, QString::fromUtf8(spec.help),
                                                             QString::fromLatin1(spec.valueName))
                                        : QCommandLineOption(names, QString::fromUtf8(spec.help)));
    }
    const QString help = QStringLiteral("help");
    const QString version = QStringLiteral("version");
    const QString headless = QStringLiteral("headless");

    OptionsParse result;
    auto fail = [&result](const QString &message) {
        result.outcome = OptionsParse::Outcome::Error;
        result.text = message;
        return result;
    };
    // --observe takes an optional value (a node's URL), which QCommandLineParser cannot say.
    QStringList rest = arguments;
    std::optional<QString> observeValue;
    for (qsizetype i = 1; i < rest.size(); ++i) {
        if (rest[i].startsWith(u"--observe=")) {
            observeValue = rest[i].mid(10);
            rest[i] = QStringLiteral("--observe");
        } else if (rest[i] == u"--observe" && i + 1 < rest.size() && !rest[i + 1].startsWith(u'-')) {
            observeValue = rest.takeAt(i + 1);
        }
    }
    if (!parser.parse(rest))
        return fail(parser.errorText());
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument: ") + parser.positionalArguments().first());
    if (parser.isSet(help)) {
        result.outcome = OptionsParse::Outcome::ShowHelp;
        result.text = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        result.outcome = OptionsParse::Outcome::ShowVersion;
        result.text = QStringLiteral("presence ") + QCoreApplication::applicationVersion();
        return result;
    }
    if (parser.isSet(QStringLiteral("help-man"))) {
        result.outcome = OptionsParse::Outcome::ShowManPage;
        return result;
    }

    // Command line first, then PRESENCE_<OPTION>.
    auto valueOf = [&](const char *name) -> std::optional<QString> {
        const QString option = QString::fromLatin1(name);
        if (parser.isSet(option))
            return parser.value(option);
        const QString env = environmentName(name);
        if (environment.contains(env))
            return environment.value(env);
        return std::nullopt;
    };
    auto source = [&](const char *name) {
        return parser.isSet(QString::fromLatin1(name)) ? QStringLiteral("--") + QString::fromLatin1(name)
                                                       : environmentName(name);
    };

    Options &options = result.options;
    const QString headlessEnv = environment.value(QStringLiteral("PRESENCE_HEADLESS")).toLower();
    options.headless = parser.isSet(headless) || headlessEnv == u"1" || headlessEnv == u"true"
                       || headlessEnv == u"yes";

    if (const auto listen = valueOf("listen")) {
        if (!parseListenAddress(*listen, &options.listenHost, &options.listenPort))
            return fail(source("listen") + QStringLiteral(": expected HOST:PORT, got \"") + *listen
                        + QLatin1Char('"'));
    }
    if (const auto engine = valueOf("backend")) {
        if (*engine == u"auto")
            options.engine = EngineChoice::Auto;
        else if (*engine == u"memory")
            options.engine = EngineChoice::Memory;
        else if (*engine == u"redis")
            options.engine = EngineChoice::Redis;
        else
            return fail(source("backend") + QStringLiteral(": expected auto, memory or redis, got \"")
                        + *engine + QLatin1Char('"'));
    }
    if (const auto redis = valueOf("redis"))
        options.redisUrl = *redis;
    if (const auto prefix = valueOf("key-prefix")) {
        if (prefix->size() > 64 || prefix->contains(QLatin1Char(' ')))
            return fail(source("key-prefix") + QStringLiteral(": expected at most 64 characters, no spaces"));
        options.keyPrefix = *prefix;
    }
    if (options.engine == EngineChoice::Memory && !options.redisUrl.isEmpty())
        return fail(QStringLiteral("--backend memory and --redis contradict each other"));
    for (const auto &[name, target] : {std::pair{"redis-tls-ca", &options.redisTlsCa},
                                       std::pair{"redis-tls-cert", &options.redisTlsCert},
                                       std::pair{"redis-tls-key", &options.redisTlsKey},
                                       std::pair{"tls-cert", &options.tlsCert},
                                       std::pair{"tls-key", &options.tlsKey}}) {
        if (const auto file = valueOf(name)) {
            if (file->isEmpty())
                return fail(source(name) + QStringLiteral(": expected a file name"));
            if (QLatin1StringView(name).startsWith(QLatin1StringView("redis-")) &&
                !options.redisUrl.startsWith(u"rediss", Qt::CaseInsensitive))
                return fail(source(name) + QStringLiteral(": TLS files for Redis need a "
                                                          "rediss:// (or rediss-sentinel://) "
                                                          "--redis URL"));
            *target = *file;
        }
    }
    if (options.redisTlsCert.isEmpty() != options.redisTlsKey.isEmpty())
        return fail(QStringLiteral("--redis-tls-cert and --redis-tls-key go together (mutual TLS)"));
    if (options.tlsCert.isEmpty() != options.tlsKey.isEmpty())
        return fail(QStringLiteral("--tls-cert and --tls-key go together (HTTPS)"));

    if (const auto heartbeat = valueOf("heartbeat")) {
        const auto ms = parseDuration(*heartbeat);
        if (!ms || *ms < 10)
            return fail(source("heartbeat")
                        + QStringLiteral(": expected a duration of at least 10ms, e.g. 5s or 500ms, got \"")
                        + *heartbeat + QLatin1Char('"'));
        options.timing.heartbeatMs = *ms;
    }
    if (const auto factor = valueOf("ttl-factor")) {
        bool ok = false;
        const double value = factor->toDouble(&ok);
        if (!ok || !(value >= 1.0 && value <= 100.0)) // NaN fails too
            return fail(source("ttl-factor") + QStringLiteral(": expected a number from 1 to 100, got \"")
                        + *factor + QLatin1Char('"'));
        options.timing.ttlFactor = value;
    }
    if (const auto grace = valueOf("grace")) {
        const auto ms = parseDuration(*grace);
        if (!ms)
            return fail(source("grace") + QStringLiteral(": expected a duration, e.g. 2s or 0s, got \"")
                        + *grace + QLatin1Char('"'));
        options.timing.graceMs = *ms;
    }
    if (const auto linger = valueOf("shard-linger")) {
        const auto ms = parseDuration(*linger);
        if (!ms)
            return fail(source("shard-linger") + QStringLiteral(": expected a duration, e.g. 10s or 0s, got \"")
                        + *linger + QLatin1Char('"'));
        options.shardLingerMs = *ms;
    }
    if (const auto keepalive = valueOf("keepalive")) {
        const auto ms = parseDuration(*keepalive);
        if (!ms || *ms < 100 || *ms > 3600 * 1000)
            return fail(source("keepalive")
                        + QStringLiteral(": expected a duration from 100ms to 3600s, e.g. 5s, got \"")
                        + *keepalive + QLatin1Char('"'));
        options.keepaliveMs = *ms;
    }
    if (const auto timeout = valueOf("peer-timeout")) {
        const auto ms = parseDuration(*timeout);
        if (!ms || (*ms != 0 && *ms < 500) || *ms > 3600 * 1000)
            return fail(source("peer-timeout")
                        + QStringLiteral(": expected 0s or a duration from 500ms to 3600s, e.g. 6s, got \"")
                        + *timeout + QLatin1Char('"'));
        options.peerTimeoutMs = *ms;
    }
    for (const auto &[name, target] : {std::pair{"max-sessions", &options.maxSessions},
                                       std::pair{"max-sessions-per-address", &options.maxSessionsPerAddress}}) {
        if (const auto value = valueOf(name)) {
            bool ok = false;
            const int number = value->toInt(&ok);
            if (!ok || number < 1 || number > 1000000)
                return fail(source(name) + QStringLiteral(": expected a number from 1 to 1000000, got \"")
                            + *value + QLatin1Char('"'));
            *target = number;
        }
    }
    if (const auto value = valueOf("heartbeat-entry-members")) {
        bool ok = false;
        const int number = value->toInt(&ok);
        if (!ok || number < 1 || number > heartbeatEntryMembersMax)
            return fail(source("heartbeat-entry-members")
                        + QStringLiteral(": expected a number from 1 to %1, got \"").arg(heartbeatEntryMembersMax)
                        + *value + QLatin1Char('"'));
        options.heartbeatEntryMembers = number;
    }
    // Secrets: a file named on the command line (or PRESENCE_<OPTION>_FILE), the value itself
    // in the environment, or a systemd credential (LoadCredential=; an empty one is unset).
    const QString credentials = environment.value(QStringLiteral("CREDENTIALS_DIRECTORY"));
    auto readSecret = [&](const SecretSource &secret, qsizetype minimumSize,
                          QByteArray *target) -> bool {
        auto readFile = [&](const QString &path, const QString &from) {
            QFile secretFile(path);
            if (!secretFile.open(QIODevice::ReadOnly)) {
                result.text = from + QStringLiteral(": cannot read ") + path;
                return false;
            }
            *target = secretFile.readAll().trimmed();
            return true;
        };
        const QString credential =
            credentials.isEmpty()
                ? QString()
                : credentials + QLatin1Char('/') + QString::fromLatin1(secret.credential);
        if (const auto file = valueOf(secret.fileOption)) {
            if (!readFile(*file, source(secret.fileOption)))
                return false;
        } else if (environment.contains(QString::fromLatin1(secret.variable))) {
            *target = environment.value(QString::fromLatin1(secret.variable)).toUtf8().trimmed();
        } else if (!credential.isEmpty() && QFile::exists(credential)) {
            if (!readFile(credential,
                          QStringLiteral("credential ") + QString::fromLatin1(secret.credential)))
                return false;
            if (target->isEmpty())
                *target = QByteArray(); // the unit's SetCredential= default: not configured
        }
        if (target->isNull())
            return true;
        if (target->size() < minimumSize) {
            result.text = QStringLiteral("%1: a secret needs at least %2 characters")
                              .arg(QString::fromLatin1(secret.variable))
                              .arg(minimumSize);
            return false;
        }
        return true;
    };
    if (!readSecret(secrets[0], 16, &options.tokenSecret) ||
        !readSecret(secrets[1], 16, &options.adminToken) ||
        !readSecret(secrets[2], 1, &options.redisPassword))
        return fail(result.text);
    if (const auto origins = valueOf("cors-origin")) {
        for (const QString &origin : origins->split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QUrl url(origin.trimmed());
            if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty() || !url.path().isEmpty())
                return fail(source("cors-origin") + QStringLiteral(": \"%1\" is not an origin like https://example.com").arg(origin));
            options.corsOrigins.append(origin.trimmed());
        }
    }
    if (const auto ttl = valueOf("token-ttl")) {
        const auto ms = parseDuration(*ttl);
        if (!ms || *ms < 1000)
            return fail(source("token-ttl") + QStringLiteral(": expected a duration of at least 1s"));
        options.tokenTtlMs = *ms;
    }
    if (parser.isSet(QStringLiteral("mint-token"))) {
        if (options.tokenSecret.isEmpty())
            return fail(QStringLiteral("--mint-token needs the token secret (PRESENCE_TOKEN_SECRET or --token-secret-file)"));
        QString whyNot;
        if (!ClientId::fromString(parser.value(QStringLiteral("mint-token")), &whyNot))
            return fail(QStringLiteral("--mint-token: ") + whyNot);
        options.mintTokenFor = parser.value(QStringLiteral("mint-token"));
        result.outcome = OptionsParse::Outcome::MintToken;
    }
    if (parser.isSet(QStringLiteral("check-config")))
        result.outcome = OptionsParse::Outcome::CheckConfig;
    QString observeEnv = environment.value(QStringLiteral("PRESENCE_OBSERVE"));
    if (observeEnv == u"0" || observeEnv.toLower() == u"false" || observeEnv.toLower() == u"no")
        observeEnv.clear(); // switched off, as PRESENCE_HEADLESS reads it
    if (parser.isSet(QStringLiteral("observe")) || !observeEnv.isEmpty()) {
        const QString value = parser.isSet(QStringLiteral("observe"))
                                  ? observeValue.value_or(QString())
                                  : (observeEnv.startsWith(u"http") ? observeEnv : QString());
        if (!parser.isSet(QStringLiteral("observe")) && value.isEmpty()
            && observeEnv != u"1" && observeEnv.toLower() != u"true" && observeEnv.toLower() != u"yes")
            return fail(QStringLiteral("PRESENCE_OBSERVE: expected 1 or a node's URL like http://host:8080"));
        QString whyNot;
        if (!value.isEmpty() && !checkObserveUrl(value, &whyNot))
            return fail(QStringLiteral("--observe: ") + whyNot);
        if (value.isEmpty() && options.redisUrl.isEmpty())
            return fail(QStringLiteral("--observe needs the deployment's Redis (--redis URL) or a "
                                       "node's address (--observe http://host:port)"));
        if (!value.isEmpty() && !options.redisUrl.isEmpty())
            return fail(QStringLiteral("--observe %1 and --redis: watch either a node or a Redis, "
                                       "not both").arg(value));
        if (options.engine == EngineChoice::Memory)
            return fail(QStringLiteral("--observe and --backend memory contradict each other: an "
                                       "observer watches a deployment, it runs no engine"));
        options.observe = true;
        options.observeUrl = value;
    }
    const QString reusePortEnv = environment.value(QStringLiteral("PRESENCE_REUSE_PORT")).toLower();
    options.reusePort = parser.isSet(QStringLiteral("reuse-port")) || reusePortEnv == u"1" ||
                        reusePortEnv == u"true" || reusePortEnv == u"yes";
    if (options.reusePort && !options.observe) {
        const QString from = parser.isSet(QStringLiteral("reuse-port")) ? QStringLiteral("--reuse-port")
                                                                        : QStringLiteral("PRESENCE_REUSE_PORT");
        // The kernel hands each connection to any of the nodes: only a presence they all share
        // (one Redis) shows every client the same roster.
        if (options.engine == EngineChoice::Memory)
            return fail(from + QStringLiteral(" and --backend memory contradict each other: nodes "
                                              "sharing a port must share presence (the Redis "
                                              "engine with --redis URL); the memory engine keeps "
                                              "it to one process"));
        if (options.redisUrl.isEmpty())
            return fail(from + QStringLiteral(" needs --redis URL: nodes sharing a port must "
                                              "share one Redis (without --redis each would run a "
                                              "private one, or the memory engine)"));
    }
    if (const auto node = valueOf("node-id")) {
        if (node->trimmed().isEmpty() || node->size() > 128)
            return fail(source("node-id") + QStringLiteral(": expected 1 to 128 characters"));
        options.nodeId = *node;
    }
    return result;
}

} // namespace presence
