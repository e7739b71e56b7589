// How late is OFFLINE after a client's TTL deadline? Keyspace notifications alone, the
// reconciler's sweep alone, and both, with few and with many other clients' keys in Redis.
//
//   bench_offline_latency [--background 1000,100000] [--measured 200] [--wait-ms 20000] [--json FILE]
#include "LatencyRun.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSysInfo>

#include <cstdio>

using presence::bench::LatencyRun;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("presence.*=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption backgroundOption(QStringLiteral("background"),
                                              QStringLiteral("Comma-separated counts of other clients' keys."),
                                              QStringLiteral("N,N"), QStringLiteral("1000,100000"));
    const QCommandLineOption measuredOption(QStringLiteral("measured"), QStringLiteral("Clients sharing the deadline."),
                                            QStringLiteral("N"), QStringLiteral("200"));
    const QCommandLineOption waitOption(QStringLiteral("wait-ms"), QStringLiteral("Give up this long after the deadline."),
                                        QStringLiteral("MS"), QStringLiteral("20000"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Also write the results here."),
                                        QStringLiteral("FILE"));
    parser.addOptions({backgroundOption, measuredOption, waitOption, jsonOption});
    parser.process(app);

    std::printf("offline-detection lateness after the TTL deadline (ms); %s, %s\n",
                qPrintable(QSysInfo::prettyProductName()), qPrintable(QSysInfo::currentCpuArchitecture()));
    std::printf("%-34s %10s %8s %8s %8s %8s %8s\n", "path", "background", "seen", "missing", "p50", "p99", "max");
    QJsonArray rows;
    bool failed = false;
    for (const QString &count : parser.value(backgroundOption).split(QLatin1Char(','))) {
        for (const auto path : {LatencyRun::Path::NotificationsOnly, LatencyRun::Path::SweepOnly,
                                LatencyRun::Path::Both}) {
            LatencyRun run;
            run.path = path;
            run.background = count.toInt();
            run.measured = parser.value(measuredOption).toInt();
            run.waitMs = parser.value(waitOption).toLongLong();
            LatencyRun::Result result;
            QString error;
            if (!run.run(&result, &error)) {
                std::fprintf(stderr, "run failed: %s\n", qPrintable(error));
                failed = true;
                continue;
            }
            std::printf("%-34s %10d %8lld %8d %8lld %8lld %8lld\n", qPrintable(LatencyRun::pathName(path)),
                        run.background, qlonglong(result.latenessMs.size()), result.missing,
                        result.percentile(50), result.percentile(99), result.percentile(100));
            std::fflush(stdout);
            rows.append(QJsonObject{{QStringLiteral("path"), LatencyRun::pathName(path)},
                                    {QStringLiteral("background"), run.background},
                                    {QStringLiteral("measured"), run.measured},
                                    {QStringLiteral("seen"), qint64(result.latenessMs.size())},
                                    {QStringLiteral("missing"), result.missing},
                                    {QStringLiteral("p50"), result.percentile(50)},
                                    {QStringLiteral("p99"), result.percentile(99)},
                                    {QStringLiteral("max"), result.percentile(100)}});
        }
    }
    if (parser.isSet(jsonOption)) {
        QFile out(parser.value(jsonOption));
        if (out.open(QIODevice::WriteOnly))
            out.write(QJsonDocument(rows).toJson());
    }
    return failed ? 1 : 0;
}
