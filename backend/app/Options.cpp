#include "Options.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHostInfo>

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
    if (!ok || value < 0 || value * scale > 24.0 * 3600 * 1000 || number.isEmpty())
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

QString defaultNodeId()
{
    return QHostInfo::localHostName() + QLatin1Char(':')
           + QString::number(QCoreApplication::applicationPid());
}

namespace {
struct OptionSpec {
    const char *name;
    const char *valueName;
    const char *help;
};

constexpr OptionSpec valueOptions[] = {
    {"listen", "HOST:PORT", "Address to serve HTTP on (default 127.0.0.1:8080; port 0 picks a free one)."},
    {"backend", "auto|memory|redis", "Presence engine: auto = redis if --redis is given, else a private redis-server if installed, else memory."},
    {"redis", "URL", "redis://[user:password@]host:port[/db] or unix:///path/to.sock"},
    {"heartbeat", "DURATION", "Heartbeat period d, e.g. 5s or 500ms (default 5s)."},
    {"ttl-factor", "X", "A client's key lives X·d after its last heartbeat (default 1.5)."},
    {"grace", "DURATION", "How long a client with no open connection stays ONLINE (default 2s)."},
    {"node-id", "NAME", "This node's name (default host:pid)."},
    {"max-sessions", "N", "SSE sessions this node holds at most (default 19000)."},
    {"max-sessions-per-address", "N", "SSE sessions from one remote address (default 1000)."},
    {"key-prefix", "PREFIX", "Prefix of every Redis key and stream (default none: streams are heartbeat and presence)."},
};

QString environmentName(const char *option)
{
    return QStringLiteral("PRESENCE_")
           + QString::fromLatin1(option).toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
}
} // namespace

OptionsParse parseOptions(const QStringList &arguments, const QProcessEnvironment &environment)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "presence: who is online, within a known time.\n"
        "Without --headless opens the operator dashboard. Every option can also be set\n"
        "in the environment as PRESENCE_<OPTION> (e.g. PRESENCE_REDIS)."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version."));
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the backend as a server, no window."));
    parser.addOption(help);
    parser.addOption(version);
    parser.addOption(headless);
    for (const OptionSpec &spec : valueOptions) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(spec.name),
                                            QString::fromUtf8(spec.help),
                                            QString::fromLatin1(spec.valueName)));
    }

    OptionsParse result;
    auto fail = [&result](const QString &message) {
        result.outcome = OptionsParse::Outcome::Error;
        result.text = message;
        return result;
    };
    if (!parser.parse(arguments))
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
        if (!ok || value < 1.0 || value > 100.0)
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
    if (const auto node = valueOf("node-id")) {
        if (node->trimmed().isEmpty() || node->size() > 128)
            return fail(source("node-id") + QStringLiteral(": expected 1 to 128 characters"));
        options.nodeId = *node;
    }
    return result;
}

} // namespace presence
