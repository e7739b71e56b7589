// Several headless nodes, real processes, on one real redis-server: the design's production
// shape. Clients on different nodes see each other; a node killed with SIGKILL takes its
// clients OFFLINE ("timeout") within TTL + 0.5 s everywhere else; every transition is in the
// presence stream exactly once. Also the embedded default: its private redis-server never
// outlives the program.
#include "NodeProcess.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "TimingBounds.h"
#include "SseTestClient.h"
#include "redis/StreamEntries.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {
constexpr qint64 ttlMs = 750; // --heartbeat 500ms, --ttl-factor 1.5
const QString heartbeat = QStringLiteral("500ms");

bool processGone(qint64 pid)
{
    // Gone, or a zombie nobody reaped yet (it holds no socket, no memory): both are dead.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close > 0 && text.mid(close + 2, 1) == "Z";
}
} // namespace

class TestRedisNodes : public QObject {
    Q_OBJECT

    RedisTestServer m_server;
    std::unique_ptr<RedisConnection> m_redis;

    QStringList nodeArgs(const QString &name) const
    {
        return {QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(m_server.port()),
                QStringLiteral("--node-id"), name, QStringLiteral("--heartbeat"), heartbeat,
                QStringLiteral("--grace"), QStringLiteral("0s")};
    }

    QStringList streamTransitions() { return presence::test::streamTransitions(*m_redis); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        m_redis = std::make_unique<RedisConnection>(m_server.url());
        m_redis->open();
        QVERIFY(presence::test::waitUntilUp(*m_redis));
    }

    void threeNodes_killOne_itsClientsTimeOutOnceEverywhere()
    {
        QVERIFY(presence::test::runCommand(*m_redis, {"FLUSHALL"}).isOk());
        NodeProcess a, b, c;
        QVERIFY2(a.start(nodeArgs(QStringLiteral("node-a"))), a.log().constData());
        QVERIFY2(b.start(nodeArgs(QStringLiteral("node-b"))), b.log().constData());
        QVERIFY2(c.start(nodeArgs(QStringLiteral("node-c"))), c.log().constData());

        SseTestClient alice, bob, carol;
        alice.open(a.port(), "/alice");
        bob.open(b.port(), "/bob");
        carol.open(c.port(), "/carol");
        // Everyone sees everyone, across nodes.
        const QList<QPair<SseTestClient *, QString>> clients{
            {&alice, QStringLiteral("alice")}, {&bob, QStringLiteral("bob")}, {&carol, QStringLiteral("carol")}};
        for (const auto &[viewer, self] : clients) {
            for (const auto &[unused, other] : clients) {
                if (other != self)
                    QVERIFY2(viewer->waitForStatus(other, QStringLiteral("ONLINE"), 10000), qPrintable(self + u'/' + other));
            }
        }

        // Let a heartbeat or two go through, then kill node c without warning.
        QTest::qWait(1200);
        const qint64 killedAt = QDateTime::currentMSecsSinceEpoch();
        c.kill9();
        QVERIFY(alice.waitForStatus(QStringLiteral("carol"), QStringLiteral("OFFLINE"), 10000));
        QVERIFY(bob.waitForStatus(QStringLiteral("carol"), QStringLiteral("OFFLINE"), 10000));
        const QJsonObject offline = alice.eventsFor(QStringLiteral("carol")).last();
        QCOMPARE(offline.value(QStringLiteral("reason")).toString(), QStringLiteral("timeout"));
        // carol's deadline was at most TTL after the kill (her last heartbeat came before it).
        for (SseTestClient *viewer : {&alice, &bob}) {
            const qint64 late = viewer->receivedAt(QStringLiteral("carol"), QStringLiteral("OFFLINE")) - killedAt - ttlMs;
            qInfo() << "carol OFFLINE seen at most" << late << "ms after her TTL deadline";
            QVERIFY2(late <= presence::test::offlineLatenessBoundMs, QByteArray::number(late).constData());
        }

        // Alice and bob, still connected, never flapped; every transition is in the stream once.
        QTest::qWait(int(2 * ttlMs));
        QCOMPARE(bob.eventsFor(QStringLiteral("alice")).size(), 1);
        QCOMPARE(alice.eventsFor(QStringLiteral("bob")).size(), 1);
        const QStringList stream = streamTransitions();
        for (const QString &line : {QStringLiteral("alice ONLINE connected"), QStringLiteral("bob ONLINE connected"),
                                    QStringLiteral("carol ONLINE connected"), QStringLiteral("carol OFFLINE timeout")})
            QCOMPARE(stream.count(line), 1);
        QCOMPARE(stream.size(), 4);

        // Every node answers the shared roster the same way.
        for (NodeProcess *node : {&a, &b}) {
            SseTestClient api;
            api.open(node->port(), "/api/presence");
            QVERIFY(api.waitForHeaders());
            QTRY_VERIFY(api.body().contains("\"online\":2"));
        }
        a.signal(SIGTERM);
        b.signal(SIGTERM);
        QCOMPARE(a.waitForExit(), 0);
        QCOMPARE(b.waitForExit(), 0);
    }

    // --reuse-port: two nodes on one port; the kernel spreads the connections over both, and
    // a join on one reaches the sessions on the other (through Redis, as between any nodes).
    void twoNodesShareOnePort()
    {
        QVERIFY(presence::test::runCommand(*m_redis, {"FLUSHALL"}).isOk());
        NodeProcess a, b;
        QVERIFY2(a.start(nodeArgs(QStringLiteral("node-a")) << QStringLiteral("--reuse-port")),
                 a.log().constData());
        const QString shared = QStringLiteral("127.0.0.1:%1").arg(a.port());
        QVERIFY2(b.start(nodeArgs(QStringLiteral("node-b"))
                         << QStringLiteral("--reuse-port") << QStringLiteral("--listen") << shared),
                 b.log().constData());
        QCOMPARE(b.port(), a.port());

        constexpr int count = 16;
        std::vector<std::unique_ptr<SseTestClient>> clients;
        for (int i = 0; i < count; ++i) {
            clients.push_back(std::make_unique<SseTestClient>());
            clients.back()->open(a.port(), "/c" + QByteArray::number(i));
            QVERIFY(clients.back()->waitForHeaders());
        }
        // Where each landed: the node holding its connection (its field of presence:conns).
        QSet<QString> holders;
        QVERIFY(QTest::qWaitFor(
            [&] {
                holders.clear();
                for (int i = 0; i < count; ++i) {
                    const QJsonObject conns = presence::test::connectionsOf(
                        *m_redis, "c" + QByteArray::number(i));
                    for (const QString &node : conns.keys())
                        holders.insert(node);
                }
                return holders.size() == 2;
            },
            5000));
        // (16 connections all on one node: 1 in 32,768 if the kernel spreads them evenly.)
        QCOMPARE(holders, (QSet<QString>{QStringLiteral("node-a"), QStringLiteral("node-b")}));

        SseTestClient joiner;
        joiner.open(a.port(), "/zed");
        for (const auto &client : clients)
            QVERIFY(client->waitForStatus(QStringLiteral("zed"), QStringLiteral("ONLINE"), 5000));
        a.signal(SIGTERM);
        b.signal(SIGTERM);
        QCOMPARE(a.waitForExit(), 0);
        QCOMPARE(b.waitForExit(), 0);
    }

    void embeddedRedisDiesWithTheProgram()
    {
        NodeProcess node;
        QVERIFY2(node.start({QStringLiteral("--heartbeat"), heartbeat}), node.log().constData());
        QTRY_VERIFY(node.log().contains("private redis-server"));
        const QRegularExpression pidPattern(QStringLiteral("private redis-server (\\d+) on unix://(\\S+)"));
        const auto match = pidPattern.match(QString::fromUtf8(node.log()));
        QVERIFY2(match.hasMatch(), node.log().constData());
        const qint64 redisPid = match.captured(1).toLongLong();
        const QString socketPath = match.captured(2);
        QVERIFY(!processGone(redisPid));

        // The pipeline is the Redis one, end to end.
        SseTestClient alice, bob;
        alice.open(node.port(), "/alice");
        bob.open(node.port(), "/bob");
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        SseTestClient health;
        health.open(node.port(), "/health");
        QVERIFY(health.waitForHeaders());
        QTRY_VERIFY(health.body().contains("\"engine\":\"redis\""));

        node.kill9();
        QVERIFY(node.waitForExit() != 0);
        QVERIFY2(QTest::qWaitFor([&] { return processGone(redisPid); }, 5000),
                 "the private redis-server outlived kill -9 of its parent");
        Q_UNUSED(socketPath);
    }

    void embeddedRedisStopsOnSigterm_andItsFolderGoes()
    {
        NodeProcess node;
        QVERIFY2(node.start({}), node.log().constData());
        const QRegularExpression pattern(QStringLiteral("private redis-server (\\d+) on unix://(\\S+)"));
        const auto match = pattern.match(QString::fromUtf8(node.log()));
        QVERIFY2(match.hasMatch(), node.log().constData());
        const QString folder = QFileInfo(match.captured(2)).absolutePath();
        QVERIFY(QDir(folder).exists());
        node.signal(SIGTERM);
        QCOMPARE(node.waitForExit(), 0);
        QVERIFY(processGone(match.captured(1).toLongLong()));
        QVERIFY2(!QDir(folder).exists(), qPrintable(folder));
    }
};

QTEST_GUILESS_MAIN(TestRedisNodes)
#include "tst_redis_nodes.moc"
