// The real `presence` binary, started as an operator would start it.
#include "NodeProcess.h"
#include "SseTestClient.h"

#include <QRegularExpression>
#include <QTcpServer>
#include <QTest>

#include <csignal>

using presence::test::NodeProcess;
using presence::test::SseTestClient;

namespace {
QStringList memoryEngine() { return {QStringLiteral("--backend"), QStringLiteral("memory")}; }
} // namespace

class TestHeadlessProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
    }

    void sigtermClosesSessionsAndExitsZero()
    {
        NodeProcess server;
        QVERIFY2(server.start(memoryEngine() + QStringList{QStringLiteral("--node-id"), QStringLiteral("proc-test")}),
                 server.log().constData());
        SseTestClient alice;
        alice.open(server.port(), "/alice");
        QVERIFY(alice.waitForHeaders());
        QCOMPARE(alice.statusCode(), 200);

        server.signal(SIGTERM);
        QVERIFY(alice.waitForDisconnect(5000));
        QCOMPARE(server.waitForExit(), 0);
        const QByteArray log = server.log();
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
        NodeProcess server;
        QVERIFY2(server.start(memoryEngine()), server.log().constData());
        server.signal(SIGINT);
        QCOMPARE(server.waitForExit(), 0);
    }

    void environmentConfiguresTheServer()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_HEARTBEAT"), QStringLiteral("250ms"));
        env.insert(QStringLiteral("PRESENCE_NODE_ID"), QStringLiteral("env-node"));
        env.insert(QStringLiteral("PRESENCE_BACKEND"), QStringLiteral("memory"));
        NodeProcess server;
        QVERIFY2(server.start({}, env), server.log().constData());
        server.signal(SIGTERM);
        QCOMPARE(server.waitForExit(), 0);
        const QByteArray log = server.log();
        QVERIFY2(log.contains("node env-node listening"), log.constData());
        QVERIFY2(log.contains("heartbeat 250 ms, ttl 375 ms"), log.constData());
        QVERIFY2(log.contains("engine: in-memory"), log.constData());
    }

    void helpVersionAndBadOptions()
    {
        QProcess help;
        help.start(NodeProcess::binary(), {QStringLiteral("--help")});
        QVERIFY(help.waitForFinished(5000));
        QCOMPARE(help.exitCode(), 0);
        QVERIFY(help.readAllStandardOutput().contains("--ttl-factor"));

        QProcess version;
        version.start(NodeProcess::binary(), {QStringLiteral("--version")});
        QVERIFY(version.waitForFinished(5000));
        QCOMPARE(version.exitCode(), 0);
        QVERIFY(version.readAllStandardOutput().startsWith("presence "));

        QProcess bad;
        bad.start(NodeProcess::binary(), {QStringLiteral("--headless"), QStringLiteral("--grace"), QStringLiteral("soon")});
        QVERIFY(bad.waitForFinished(5000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(bad.readAllStandardError().contains("--grace"));

        QProcess badUrl;
        badUrl.start(NodeProcess::binary(), {QStringLiteral("--headless"), QStringLiteral("--redis"),
                                             QStringLiteral("redis://:secret@host:notaport")});
        QVERIFY(badUrl.waitForFinished(5000));
        QCOMPARE(badUrl.exitCode(), 1);
        const QByteArray said = badUrl.readAllStandardError();
        QVERIFY2(said.contains("--redis"), said.constData());
        QVERIFY2(!said.contains("secret"), said.constData()); // credentials are never logged
    }

    void portInUseIsAClearError()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        QProcess server;
        server.start(NodeProcess::binary(), {QStringLiteral("--headless"), QStringLiteral("--backend"),
                                             QStringLiteral("memory"), QStringLiteral("--listen"),
                                             QStringLiteral("127.0.0.1:%1").arg(holder.serverPort())});
        QVERIFY(server.waitForFinished(5000));
        QCOMPARE(server.exitCode(), 1);
        QVERIFY(server.readAllStandardError().contains("cannot listen on 127.0.0.1:"));
    }
};

QTEST_GUILESS_MAIN(TestHeadlessProcess)
#include "tst_headless_process.moc"
