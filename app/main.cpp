#include "app/ConfigCheck.h"
#include "app/Logging.h"
#include "app/ManPage.h"
#include "app/Options.h"
#include "app/PresenceBackend.h"
#include "app/ServiceNotifier.h"
#include "app/TerminationSignals.h"
#include "auth/ClientTokens.h"
#include "observe/JsonLinesWriter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QLoggingCategory>
#include <cstdio>

#ifdef PRESENCE_HAS_UI
#include "DashboardApplication.h"
#endif

using namespace presence;

namespace {

int runHeadless(int argc, char **argv, const Options &options)
{
    // Qt's glib event dispatcher searches a list of every socket each time a write notifier is
    // switched off, so one broadcast to N sessions costs O(N²); the plain UNIX dispatcher made
    // fan-out to 5,000 sessions 4× faster (bench/README.md). A server has no use for glib.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    // Taken before anything starts a child process (the private redis-server).
    const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();
    QCoreApplication app(argc, argv);
    PresenceBackend backend(options);
    // A benchmark switch, not an option: PRESENCE_SSE_DIRECT_WRITES=0 keeps every SSE stream
    // on Qt's socket object, each write through its buffer: the baseline bench/ compares the
    // streams that drive their own descriptor with.
    if (qEnvironmentVariable("PRESENCE_SSE_DIRECT_WRITES") == u"0") {
        RealtimeServer::Config config;
        config.sessionLimits.takeDescriptor = false;
        backend.setRealtimeConfig(config);
    }
    TerminationSignals signals_;
    QObject::connect(&signals_, &TerminationSignals::terminationRequested, &app, [&](int number) {
        qInfo().noquote() << "signal" << number << "received; shutting down";
        notifier.notify("STOPPING=1");
        backend.shutdown();
        app.quit();
    });
    QString error;
    if (!backend.start(&error)) {
        qCritical().noquote() << error;
        return 1;
    }
    // Listening, and the engine built: with Redis unreachable the node serves degraded and
    // catches up, so waiting for Redis here would only delay what clients can already use.
    notifier.notify(QByteArrayLiteral("READY=1\nSTATUS=listening on ") +
                    backend.baseUrl().toUtf8());
    const int code = app.exec();
    backend.shutdown();
    qInfo().noquote() << "stopped";
    return code;
}

// --observe --headless: the deployment's roster, then its changes, as JSON lines on stdout
// (logs stay on stderr). Exits 0 on SIGINT/SIGTERM, 1 when the watch cannot start or the node
// refuses it (a wrong admin token); a Redis or node that goes away is retried and logged.
int runObserverHeadless(int argc, char **argv, const Options &options)
{
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    PresenceBackend backend(options);
    QString error;
    if (!backend.start(&error)) {
        qCritical().noquote() << error;
        return 1;
    }
    QFile out;
    if (!out.open(stdout, QIODevice::WriteOnly | QIODevice::Unbuffered)) {
        qCritical() << "cannot write to stdout";
        return 1;
    }
    JsonLinesWriter writer(backend.engine(), out);
    int code = 0;
    QObject::connect(&backend.engine(), &PresenceEngine::healthChanged, &app, [&] {
        const PresenceEngine::Health health = backend.engine().health();
        if (health.state == u"refused") {
            qCritical().noquote() << "cannot observe:" << health.detail;
            code = 1;
            app.quit();
        }
    });
    TerminationSignals signals_;
    QObject::connect(&signals_, &TerminationSignals::terminationRequested, &app, [&](int) {
        app.quit();
    });
    const int loop = app.exec();
    backend.shutdown();
    return code != 0 ? code : loop;
}

// --check-config: every reason on stderr, exit 1; or "configuration OK" on stdout, exit 0.
int checkConfig(const Options &options)
{
    for (const QString &name : unknownPresenceVariables(QProcessEnvironment::systemEnvironment()))
        std::fprintf(stderr, "presence: warning: %s is not an option (ignored)\n",
                     qPrintable(name));
    const QStringList problems = configProblems(options, probeHost(options));
    for (const QString &problem : problems)
        std::fprintf(stderr, "presence: %s\n", qPrintable(problem));
    if (!problems.isEmpty())
        return 1;
    std::printf("configuration OK\n");
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    installLogFormat();
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    OptionsParse parsed;
    {
        // QCommandLineParser and the default node id want an application object.
        QCoreApplication probe(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("presence"));
        QCoreApplication::setApplicationVersion(QStringLiteral(PRESENCE_VERSION));
        parsed = parseOptions(arguments, QProcessEnvironment::systemEnvironment());
    }
    switch (parsed.outcome) {
    case OptionsParse::Outcome::ShowHelp:
    case OptionsParse::Outcome::ShowVersion:
        std::fputs(qPrintable(parsed.text + QLatin1Char('\n')), stdout);
        return 0;
    case OptionsParse::Outcome::ShowManPage:
        std::fputs(manPage(QStringLiteral(PRESENCE_VERSION)).toUtf8().constData(), stdout);
        return 0;
    case OptionsParse::Outcome::Error:
        std::fprintf(stderr, "presence: %s\nTry 'presence --help'.\n", qPrintable(parsed.text));
        return 2;
    case OptionsParse::Outcome::CheckConfig: {
        QCoreApplication probe(argc, argv); // QTcpServer wants an application object
        return checkConfig(parsed.options);
    }
    case OptionsParse::Outcome::MintToken: {
        const qint64 expires = QDateTime::currentSecsSinceEpoch() + parsed.options.tokenTtlMs / 1000;
        const ClientTokens tokens(parsed.options.tokenSecret);
        std::printf("%s\n", tokens.mint(*ClientId::fromString(parsed.options.mintTokenFor), expires).constData());
        return 0;
    }
    case OptionsParse::Outcome::Run:
        break;
    }
    QCoreApplication::setApplicationName(QStringLiteral("presence"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PRESENCE_VERSION));

#ifdef PRESENCE_HAS_UI
    // No display to open a window on (an SSH session, a container): say so and serve headless
    // rather than die in the platform plugin.
    const bool hasDisplay = !qEnvironmentVariableIsEmpty("DISPLAY")
                            || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
                            || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
    if (!parsed.options.headless && !hasDisplay)
        qWarning().noquote() << "no display (DISPLAY and WAYLAND_DISPLAY are unset): running headless; "
                                "for the dashboard run under a desktop session or xvfb-run";
    if (!parsed.options.headless && hasDisplay)
        return runDashboard(argc, argv, parsed.options);
#else
    if (!parsed.options.headless)
        qInfo().noquote() << "this build has no dashboard; running headless";
#endif
    if (parsed.options.observe)
        return runObserverHeadless(argc, argv, parsed.options);
    return runHeadless(argc, argv, parsed.options);
}
