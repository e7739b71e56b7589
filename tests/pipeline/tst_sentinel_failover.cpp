// Sentinel: a real group (primary, replica, three Sentinels) and a kill -9 of the primary in the
// middle of each test. The connection layer follows the promotion; two real nodes keep telling
// the truth across it.
#include "HttpGet.h"
#include "NodeProcess.h"
#include "RedisCommand.h"
#include "SentinelGroup.h"
#include "SseTestClient.h"
#include "engine/DiagnosticsMonitor.h"
#include "redis/RedisConnection.h"
#include "redis/RedisPresenceEngine.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <memory>

using presence::RedisConnection;
using presence::RedisUrl;
using presence::test::httpGet;
using presence::test::NodeProcess;
using presence::test::runCommand;
using presence::test::SentinelGroup;
using presence::test::SseTestClient;
using State = RedisConnection::State;

namespace {
constexpr int kFailoverMs = 30000; // detection 1 s + election + promotion (4-5 s measured here)

bool upAt(const RedisConnection &connection, quint16 port)
{
    return connection.state() == State::Up && connection.server().port() == port;
}
} // namespace

class TestSentinelFailover : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<SentinelGroup> m_group;

private Q_SLOTS:
    void init()
    {
        m_group = std::make_unique<SentinelGroup>();
        QVERIFY2(m_group->start(), qPrintable(m_group->errorString()));
    }
    void cleanup() { m_group.reset(); }

    void theConnectionsFollowThePromotion()
    {
        const quint16 first = m_group->primary().port();
        const quint16 second = m_group->replica().port();
        RedisConnection commands(m_group->url());
        RedisConnection subscriber(m_group->url());
        QByteArray heard;
        subscriber.subscribe({"news"}, [&heard](const QByteArray &, const QByteArray &payload) {
            heard = payload;
        });
        commands.open();
        subscriber.open();
        QVERIFY2(QTest::qWaitFor([&] { return upAt(commands, first); }, 10000),
                 qPrintable(commands.lastError()));
        QVERIFY(QTest::qWaitFor([&] { return upAt(subscriber, first); }, 10000));
        QVERIFY(runCommand(commands, {"SET", "before", "1"}).isOk());

        QElapsedTimer sinceKill;
        sinceKill.start();
        QVERIFY(m_group->killPrimary());
        QVERIFY2(QTest::qWaitFor([&] { return upAt(commands, second); }, kFailoverMs),
                 qPrintable(commands.lastError()));
        qInfo("commands up on the promoted replica %lld ms after kill -9 of the primary",
              sinceKill.elapsed());
        QVERIFY(QTest::qWaitFor([&] { return upAt(subscriber, second); }, 10000));
        // Writes work there (not READONLY): it is the primary now.
        const auto written = runCommand(commands, {"SET", "after", "2"});
        QVERIFY2(written.isOk(), written.toDebugString().constData());
        QCOMPARE(runCommand(commands, {"GET", "after"}).toByteArray(), QByteArray("2"));
        QCOMPARE(runCommand(commands, {"PUBLISH", "news", "promoted"}).toInteger(), 1);
        QVERIFY(QTest::qWaitFor([&] { return heard == "promoted"; }, 5000));
    }

    // The diagnostics (what /api/nodes and the dashboard show) name the primary, and say when it
    // moves: the dashboard's event log gets its "Redis failover" line from this signal.
    void theDiagnosticsSayWhereThePrimaryIs_andWhenItMoves()
    {
        presence::RedisPresenceEngine::Config config;
        config.nodeId = QStringLiteral("diagnosed");
        presence::RedisPresenceEngine engine(m_group->url(), config);
        engine.start();
        presence::DiagnosticsMonitor monitor(engine, {}, 200);
        QSignalSpy moved(&monitor, &presence::DiagnosticsMonitor::storeMoved);
        monitor.start();
        const QString first = QStringLiteral("primary 127.0.0.1:%1").arg(m_group->primary().port());
        QVERIFY2(QTest::qWaitFor([&] { return monitor.last().storeOk && monitor.last().storeAddress.contains(first); },
                                 10000),
                 qPrintable(monitor.last().storeAddress));
        const QString second = QStringLiteral("primary 127.0.0.1:%1").arg(m_group->replica().port());
        QVERIFY(m_group->killPrimary());
        QVERIFY2(QTest::qWaitFor([&] { return monitor.last().storeOk && monitor.last().storeAddress.contains(second); },
                                 kFailoverMs),
                 qPrintable(monitor.last().storeAddress));
        QVERIFY(!moved.isEmpty());
        QVERIFY2(moved.last().at(1).toString().contains(second), qPrintable(moved.last().at(1).toString()));
        QVERIFY(moved.first().at(0).toString().contains(first));
    }

    // The topology (the dashboard's Redis panel, /api/nodes): the primary and its replica, the
    // Sentinels and the one that answered; after a kill -9 the promoted replica is the server
    // and the killed primary is gone from its replicas, until it comes back as one.
    void theDiagnosticsShowTheTopology_acrossAFailover()
    {
        presence::RedisPresenceEngine::Config config;
        config.nodeId = QStringLiteral("topology");
        presence::RedisPresenceEngine engine(m_group->url(), config);
        engine.start();
        presence::DiagnosticsMonitor monitor(engine, {}, 200);
        monitor.start();
        const QString first = QStringLiteral("127.0.0.1:%1").arg(m_group->primary().port());
        const QString second = QStringLiteral("127.0.0.1:%1").arg(m_group->replica().port());
        const auto replicas = [&] {
            QStringList addresses;
            for (const presence::StoreReplica &replica : monitor.last().topology.replicas)
                addresses << replica.address;
            return addresses;
        };
        const auto on = [&](const QString &server, const QStringList &expectedReplicas) {
            const presence::StoreTopology &t = monitor.last().topology;
            return monitor.last().storeOk && t.server == server && t.role == u"master" &&
                   replicas() == expectedReplicas;
        };
        QVERIFY2(QTest::qWaitFor([&] { return on(first, {second}); }, 10000),
                 qPrintable(monitor.last().topology.server + u' ' + replicas().join(u',')));
        const presence::StoreTopology &before = monitor.last().topology;
        QCOMPARE(before.sentinels.size(), 3);
        QCOMPARE(before.sentinels.first(),
                 QStringLiteral("127.0.0.1:%1").arg(m_group->sentinelPort(0)));
        QVERIFY2(before.sentinels.contains(before.answeringSentinel),
                 qPrintable(before.answeringSentinel));
        QVERIFY(!before.tls);

        QVERIFY(m_group->killPrimary());
        QVERIFY2(QTest::qWaitFor([&] { return on(second, {}); }, kFailoverMs),
                 qPrintable(monitor.last().topology.server + u' ' + replicas().join(u',')));
        QVERIFY2(m_group->restartKilledAsReplica(), qPrintable(m_group->errorString()));
        QVERIFY2(QTest::qWaitFor([&] { return on(second, {first}); }, 15000),
                 qPrintable(monitor.last().topology.server + u' ' + replicas().join(u',')));
    }

    void sentinelsThatCannotAnswerAreNamed()
    {
        RedisConnection::Options quick;
        quick.connectTimeoutMs = 3000;
        const QString unknown = QStringLiteral("redis-sentinel://127.0.0.1:%1#no-such-primary")
                                    .arg(m_group->sentinelPort(0));
        RedisConnection lost(*RedisUrl::parse(unknown), quick);
        lost.open();
        QVERIFY(QTest::qWaitFor([&] { return !lost.lastError().isEmpty(); }, 10000));
        QVERIFY2(lost.lastError().contains(QStringLiteral("knows no primary of that name")),
                 qPrintable(lost.lastError()));

        // A Sentinel that is down is skipped for the next one: the group still answers.
        m_group->pauseSentinel(0);
        RedisConnection skipping(m_group->url(), quick);
        skipping.open();
        QVERIFY2(QTest::qWaitFor([&] { return upAt(skipping, m_group->primary().port()); }, 10000),
                 qPrintable(skipping.lastError()));
        m_group->resumeSentinel(0);
    }

    // Two headless nodes on the group; the primary dies under them.
    void twoNodesKeepTellingTheTruth()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        const QStringList common{QStringLiteral("--redis"), m_group->urlText(),
                                 QStringLiteral("--heartbeat"), QStringLiteral("1s"),
                                 QStringLiteral("--grace"), QStringLiteral("0s")};
        NodeProcess a, b;
        QVERIFY2(a.start(common + QStringList{QStringLiteral("--node-id"), QStringLiteral("node-a")}),
                 a.log().constData());
        QVERIFY2(b.start(common + QStringList{QStringLiteral("--node-id"), QStringLiteral("node-b")}),
                 b.log().constData());
        QVERIFY(QTest::qWaitFor([&] { return httpGet(a.port(), QStringLiteral("/health")).status == 200; }, 10000));
        QVERIFY(QTest::qWaitFor([&] { return httpGet(b.port(), QStringLiteral("/health")).status == 200; }, 10000));

        SseTestClient alice, carol;
        alice.open(a.port(), "/alice");
        carol.open(b.port(), "/carol");
        QVERIFY(alice.waitForStatus(QStringLiteral("carol"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(carol.waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE"), 10000));

        // /api/nodes names the primary's replica (the topology, JSON).
        const auto topology = [&](NodeProcess &node) {
            return httpGet(node.port(), QStringLiteral("/api/nodes"))
                .json()
                .value(QStringLiteral("topology"))
                .toObject();
        };
        const QString replicaAddress =
            QStringLiteral("127.0.0.1:%1").arg(m_group->replica().port());
        QVERIFY(QTest::qWaitFor(
            [&] {
                const QJsonArray replicas = topology(a).value(QStringLiteral("replicas")).toArray();
                return replicas.size() == 1 &&
                       replicas[0].toObject().value(QStringLiteral("address")).toString() ==
                           replicaAddress;
            },
            5000));
        QCOMPARE(topology(a).value(QStringLiteral("sentinels")).toArray().size(), 3);

        const quint16 promoted = m_group->replica().port();
        QVERIFY(m_group->killPrimary());
        QVERIFY2(m_group->waitForPromotion(promoted, kFailoverMs), qPrintable(m_group->errorString()));
        QElapsedTimer sincePromotion;
        sincePromotion.start();
        for (NodeProcess *node : {&a, &b}) {
            QVERIFY2(QTest::qWaitFor([&] { return httpGet(node->port(), QStringLiteral("/health")).status == 200; },
                                     15000),
                     node->log().right(3000).constData());
        }
        const qint64 healthyMs = sincePromotion.elapsed();
        QVERIFY(QTest::qWaitFor(
            [&] {
                return topology(b).value(QStringLiteral("server")).toString() == replicaAddress;
            },
            5000));

        // A join on one node reaches the other, through the new primary.
        SseTestClient bob;
        bob.open(b.port(), "/bob");
        QVERIFY2(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 15000),
                 b.log().right(3000).constData());
        qInfo("after the promotion: both nodes healthy in %lld ms, a join on B seen on A in %lld ms",
              healthyMs, sincePromotion.elapsed());
        // Those who stayed connected are still ONLINE on the new primary (re-asserted: the
        // promoted replica may have missed the last writes).
        const QJsonObject roster = httpGet(b.port(), QStringLiteral("/api/presence")).json();
        const QByteArray text = QJsonDocument(roster).toJson(QJsonDocument::Compact);
        QVERIFY2(text.contains("\"client\":\"alice\"") && text.contains("\"client\":\"carol\""), text.constData());
        QVERIFY(!alice.eventsFor(QStringLiteral("carol")).isEmpty());
        QCOMPARE(alice.eventsFor(QStringLiteral("carol")).last().value(QStringLiteral("status")).toString(),
                 QStringLiteral("ONLINE"));
        // A leave goes OFFLINE everywhere.
        bob.disconnectGracefully();
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE"), 10000));
        QVERIFY(carol.waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE"), 10000));
    }
};

QTEST_GUILESS_MAIN(TestSentinelFailover)
#include "tst_sentinel_failover.moc"
