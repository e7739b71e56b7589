// The real `presence` binary, started as an operator would start it.
#include "SseTestClient.h"

#include <QProcess>
#include <QTcpServer>
#include <QRegularExpression>
#include <QTest>

#include <csignal>

using presence::test::SseTestClient;

namespace {
QString binary() { return qEnvironmentVariable("PRESENCE_BINARY"); }

// Starts the binary and waits for its "listening on" line; returns the port (0 on failure).
// What it logged while starting goes to *log.
quint16 startServer(QProcess &process, const QStringList &extraArgs, QByteArray *log,
                    const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    process.setProcessEnvironment(env);
    process.start(binary(), QStringList{QStringLiteral("--headless"), QStringLiteral("--listen"),
                                        QStringLiteral("127.0.0.1:0")}
                                + extraArgs);
    if (!process.waitForStarted(5000))
        return 0;
    static const QRegularExpression listening(QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)"));
    quint16 port = 0;
    QTest::qWaitFor(
        [&] {
            *log += process.readAllStandardError();
            const auto match = listening.match(QString::fromUtf8(*log));
            if (match.hasMatch())
                port = quint16(match.captured(1).toUInt());
            return port != 0 || process.state() == QProcess::NotRunning;
        },
        10000);
    return port;
}
} // namespace

class TestHeadlessProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(binary()), "PRESENCE_BINARY must name the built binary"); }

    void sigtermClosesSessionsAndExitsZero()
    {
        QProcess server;
        QByteArray log;
        const quint16 port = startServer(server, {QStringLiteral("--node-id"), QStringLiteral("proc-test")}, &log);
        QVERIFY(port != 0);
        SseTestClient alice;
        alice.open(port, "/alice");
        QVERIFY(alice.waitForHeaders());
        QCOMPARE(alice.statusCode(), 200);

        ::kill(pid_t(server.processId()), SIGTERM);
        QVERIFY(alice.waitForDisconnect(5000));
        // The process may have ended while the client waited; waitForFinished() is false then.
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), QProcess::NotRunning, 5000);
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
        log += server.readAllStandardError();
        QVERIFY2(log.contains("closed 1 sessions"), log.constData());
        QVERIFY2(log.contains("stopped"), log.constData());
        // Log lines carry a timestamp and a category.
        QVERIFY(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} info presence\\."),
                                   QRegularExpression::MultilineOption)
                    .match(QString::fromUtf8(log))
                    .hasMatch());
    }

    void sigintExitsZero()
    {
        QProcess server;
        QByteArray log;
        QVERIFY(startServer(server, {}, &log) != 0);
        ::kill(pid_t(server.processId()), SIGINT);
        QVERIFY(server.waitForFinished(5000));
        QCOMPARE(server.exitCode(), 0);
    }

    void environmentConfiguresTheServer()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_HEARTBEAT"), QStringLiteral("250ms"));
        env.insert(QStringLiteral("PRESENCE_NODE_ID"), QStringLiteral("env-node"));
        QProcess server;
        QByteArray log;
        QVERIFY(startServer(server, {}, &log, env) != 0);
        server.terminate();
        QVERIFY(server.waitForFinished(5000));
        log += server.readAllStandardError();
        QVERIFY2(log.contains("node env-node listening"), log.constData());
        QVERIFY2(log.contains("heartbeat 250 ms, ttl 375 ms"), log.constData());
    }

    void helpVersionAndBadOptions()
    {
        QProcess help;
        help.start(binary(), {QStringLiteral("--help")});
        QVERIFY(help.waitForFinished(5000));
        QCOMPARE(help.exitCode(), 0);
        QVERIFY(help.readAllStandardOutput().contains("--ttl-factor"));

        QProcess version;
        version.start(binary(), {QStringLiteral("--version")});
        QVERIFY(version.waitForFinished(5000));
        QCOMPARE(version.exitCode(), 0);
        QVERIFY(version.readAllStandardOutput().startsWith("presence "));

        QProcess bad;
        bad.start(binary(), {QStringLiteral("--headless"), QStringLiteral("--grace"), QStringLiteral("soon")});
        QVERIFY(bad.waitForFinished(5000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(bad.readAllStandardError().contains("--grace"));
    }

    void portInUseIsAClearError()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        QProcess server;
        server.start(binary(), {QStringLiteral("--headless"), QStringLiteral("--listen"),
                                QStringLiteral("127.0.0.1:%1").arg(holder.serverPort())});
        QVERIFY(server.waitForFinished(5000));
        QCOMPARE(server.exitCode(), 1);
        QVERIFY(server.readAllStandardError().contains("cannot listen on 127.0.0.1:"));
    }
};

QTEST_GUILESS_MAIN(TestHeadlessProcess)
#include "tst_headless_process.moc"
