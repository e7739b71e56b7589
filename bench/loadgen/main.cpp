// bench_loadgen's command line: see LoadGenerator.h for what it does.
#include "LoadGenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QUrl>

#include <arpa/inet.h>
#include <cstdio>
#include <netinet/in.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
    // As many descriptors as we are allowed: the hard limit.
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    auto option = [](const char *name, const char *help, const char *value, const char *def = nullptr) {
        return def ? QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(value),
                                        QString::fromLatin1(def))
                   : QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(value));
    };
    const auto url = option("url", "Node base URL (IPv4 loopback).", "URL", "http://127.0.0.1:8080");
    const auto sessions = option("sessions", "SSE sessions to open.", "N", "100");
    const auto clients = option("clients", "Distinct client ids (session i is prefix{i % K}); 0: one per session.", "K", "0");
    const auto prefix = option("prefix", "Client id prefix.", "PREFIX", "lg-");
    const auto ramp = option("ramp", "Sessions opened per second.", "N", "2000");
    const auto hold = option("hold-seconds", "Keep the sessions open this long after settling (and probing).", "S", "0");
    const auto settle = option("settle-ms", "Settled once no byte arrived for this long.", "MS", "1000");
    const auto probeClient = option("probe-client", "Record when each session gets this client's ONLINE event.", "ID");
    const QCommandLineOption probeJoin(QStringLiteral("probe-join"),
                                       QStringLiteral("After settling, connect as --probe-client ourselves and time the fan-out."));
    const auto probeTimeout = option("probe-timeout-ms", "Give up waiting for the probe's fan-out.", "MS", "10000");
    const auto probeDump = option("probe-dump", "Write every probe arrival time (realtime us) here as JSON.", "FILE");
    const auto serverPid = option("server-pid", "Sample this process's VmRSS before/after.", "PID", "0");
    const auto maxSeconds = option("max-seconds", "Stop whatever happens after this long.", "S", "600");
    const auto roomSize = option("room-size", "Rooms of S sessions: session i is in room {room-prefix}{i / S}.", "S", "0");
    const auto rooms = option("rooms", "K rooms: session i is in room {room-prefix}{i % K}.", "K", "0");
    const auto roomPrefix = option("room-prefix", "Room name prefix.", "PREFIX", "r");
    const auto probeRoom = option("probe-room", "The room the probe joins (default: session 0's room).", "ROOM");
    const QCommandLineOption storm(QStringLiteral("storm"),
                                   QStringLiteral("Join storm: open every session at once (ignores --ramp)."));
    parser.addOptions({url, sessions, clients, prefix, ramp, hold, settle, probeClient, probeJoin, probeTimeout,
                       probeDump, serverPid, maxSeconds, roomSize, rooms, roomPrefix, probeRoom, storm});
    parser.process(app);

    loadgen::LoadGenerator::Config config;
    const QUrl base(parser.value(url));
    config.host = base.host().toLatin1();
    config.port = quint16(base.port(80));
    config.sessions = parser.value(sessions).toInt();
    config.clients = parser.value(clients).toInt();
    config.prefix = parser.value(prefix).toUtf8();
    config.ramp = parser.value(ramp).toDouble();
    config.holdSeconds = parser.value(hold).toDouble();
    config.settleMs = parser.value(settle).toInt();
    config.probeClient = parser.value(probeClient).toUtf8();
    config.probeJoin = parser.isSet(probeJoin);
    config.probeTimeoutMs = parser.value(probeTimeout).toInt();
    config.probeDump = parser.value(probeDump);
    config.serverPid = parser.value(serverPid).toLongLong();
    config.maxSeconds = parser.value(maxSeconds).toInt();
    config.roomSize = parser.value(roomSize).toInt();
    config.rooms = parser.value(rooms).toInt();
    config.roomPrefix = parser.value(roomPrefix).toUtf8();
    config.probeRoom = parser.value(probeRoom).toUtf8();
    config.storm = parser.isSet(storm);
    if (config.sessions <= 0 || config.ramp <= 0 || base.scheme() != QStringLiteral("http")) {
        std::fprintf(stderr, "bench_loadgen: need --sessions > 0, --ramp > 0 and an http:// URL\n");
        return 1;
    }
    if (config.roomSize < 0 || config.rooms < 0 || (config.roomSize > 0 && config.rooms > 0)) {
        std::fprintf(stderr, "bench_loadgen: --room-size and --rooms are exclusive and must be > 0\n");
        return 1;
    }
    in_addr probe {};
    if (inet_pton(AF_INET, config.host.constData(), &probe) != 1 || (ntohl(probe.s_addr) >> 24) != 127) {
        std::fprintf(stderr, "bench_loadgen: only IPv4 loopback targets (127.x.y.z)\n");
        return 1;
    }

    loadgen::LoadGenerator generator(config);
    QString error;
    if (!generator.start(&error)) {
        std::fprintf(stderr, "bench_loadgen: %s\n", qPrintable(error));
        return 1;
    }
    return app.exec();
}
