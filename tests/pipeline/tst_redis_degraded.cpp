// Graceful degradation against real redis-servers: unreachable at start, restricted commands
// (managed Redis), and the clear word the operator gets for each.
#include "HttpGet.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "app/PresenceBackend.h"
#include "redis/RedisPresenceEngine.h"

#include <QElapsedTimer>
#include <QTest>

using namespace presence;
using presence::test::httpGet;
using presence::test::HttpResult;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {
std::unique_ptr<PresenceBackend> backendOn(const RedisTestServer &server,
                                           PresenceTiming timing = PresenceTiming{200, 1.5, 0})
{
    Options options;
    options.listenPort = 0;
    options.redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(server.port());
    options.nodeId = QStringLiteral("degraded");
    options.timing = timing;
    auto backend = std::make_unique<PresenceBackend>(options);
    QString error;
    if (!backend->start(&error))
        qWarning() << error;
    return backend;
}

RedisPresenceEngine &redisEngine(PresenceBackend &backend)
{
    return static_cast<RedisPresenceEngine &>(backend.engine());
}
} // namespace

class TestRedisDegraded : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void unreachableAtStart_servesAndCatchesUp()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QVERIFY(server.stop()); // the port is known, nothing listens on it
        auto backend = backendOn(server);
        QVERIFY(backend->port() > 0); // serving without Redis
        QCOMPARE(backend->engine().kind(), QStringLiteral("redis"));

        // Readiness says 503 (a load balancer reads only the code), liveness 200.
        QCOMPARE(httpGet(backend->port(), QStringLiteral("/health")).status, 503);
        const HttpResult health = httpGet(backend->port(), QStringLiteral("/health"));
        QCOMPARE(health.json().value(QStringLiteral("status")).toString(),
                 QStringLiteral("degraded"));
        QVERIFY2(!health.json().value(QStringLiteral("storeError")).toString().isEmpty(),
                 health.body.constData());
        QCOMPARE(httpGet(backend->port(), QStringLiteral("/health/live")).status, 200);
        QVERIFY(!backend->engine().health().ok);

        // Sessions open meanwhile; their clients are registered once Redis is there.
        SseTestClient alice, bob;
        alice.open(backend->port(), "/alice");
        QVERIFY(alice.waitForHeaders());
        QCOMPARE(alice.statusCode(), 200);
        bob.open(backend->port(), "/bob");
        QVERIFY(bob.waitForHeaders());

        QVERIFY2(server.restart(), qPrintable(server.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 15000);
        QCOMPARE(httpGet(backend->port(), QStringLiteral("/health")).status, 200);
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(bob.waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE"), 10000));
    }

    void configRefused_saysSoAndTheSweepCarriesOn()
    {
        RedisTestServer server(
            {QStringLiteral("--rename-command"), QStringLiteral("CONFIG"), QString()});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server);
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 10000);
        auto &engine = redisEngine(*backend);
        QTRY_COMPARE(engine.keyspace().configState(), KeyspaceListener::ConfigState::Refused);
        QVERIFY2(engine.keyspace().configError().contains(QStringLiteral("unknown command"),
                                                          Qt::CaseInsensitive),
                 qPrintable(engine.keyspace().configError()));

        // Offline detection still works, through the sweep.
        SseTestClient alice, bob;
        alice.open(backend->port(), "/alice");
        bob.open(backend->port(), "/bob");
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        backend->localClients().setHeartbeatsPaused(true);
        QVERIFY(alice.waitForEvent([](const SseTestClient::Event &e) {
            return e.json().value(QStringLiteral("reason")).toString() == u"timeout";
        }));
    }

    void functionRefused_aClearErrorInHealth()
    {
        RedisTestServer server(
            {QStringLiteral("--rename-command"), QStringLiteral("FUNCTION"), QString()});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server);
        QTRY_VERIFY_WITH_TIMEOUT(!backend->engine().health().detail.isEmpty(), 10000);
        const auto health = backend->engine().health();
        QVERIFY(!health.ok);
        QVERIFY2(health.detail.contains(QStringLiteral("FUNCTION")), qPrintable(health.detail));
        const HttpResult check = httpGet(backend->port(), QStringLiteral("/health"));
        QCOMPARE(check.status, 503);
        QVERIFY2(check.body.contains("FUNCTION"), check.body.constData());
    }

    void hungRedis_503WithinTheReplyDeadline_200AfterItResumes()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server);
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 10000);
        QCOMPARE(httpGet(backend->port(), QStringLiteral("/health")).status, 200);

        QVERIFY2(server.pause(), qPrintable(server.errorString())); // SIGSTOP: no reset, no reply
        QElapsedTimer paused;
        paused.start();
        // The promise: every connection notices within ping interval (2 s) + reply deadline
        // (3 s) + a watchdog tick (0.5 s); the command connection, never idle, within 3.5 s.
        QVERIFY(QTest::qWaitFor(
            [&] { return httpGet(backend->port(), QStringLiteral("/health")).status == 503; },
            8000));
        const qint64 noticedMs = paused.elapsed();
        qInfo() << "a hung Redis made /health 503 after" << noticedMs << "ms";
        QVERIFY2(noticedMs <= 3500 + 1000, QByteArray::number(noticedMs).constData());
        const HttpResult hung = httpGet(backend->port(), QStringLiteral("/health"));
        QVERIFY2(hung.body.contains("no reply within"), hung.body.constData());
        QCOMPARE(httpGet(backend->port(), QStringLiteral("/health/live")).status, 200);
        // Every connection is found out, not only the one that happened to be busy.
        auto &engine = redisEngine(*backend);
        QTRY_VERIFY_WITH_TIMEOUT(engine.commands().state() != RedisConnection::State::Up, 1000);

        QVERIFY2(server.resume(), qPrintable(server.errorString()));
        QElapsedTimer resumed;
        resumed.start();
        QVERIFY(QTest::qWaitFor(
            [&] { return httpGet(backend->port(), QStringLiteral("/health")).status == 200; },
            15000));
        qInfo() << "healthy again" << resumed.elapsed() << "ms after Redis resumed";
        // And it tells the truth again: a new client goes through the whole pipeline.
        SseTestClient alice, bob;
        alice.open(backend->port(), "/alice");
        bob.open(backend->port(), "/bob");
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 10000));
    }

    // A client that leaves while Redis is hung (the node no longer ready) is told OFFLINE "left"
    // once Redis answers again: its leave waits and goes out then. It used to be kept pending
    // for good (re-pended as the node became ready), so the member timed out instead. The TTL
    // (6 s) outlasts the hang, so that only the leave can tell bob OFFLINE.
    void aLeaveWhileRedisIsHungGoesOutOnceItResumes()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server, PresenceTiming{4000, 1.5, 0});
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 10000);
        SseTestClient alice, bob;
        alice.open(backend->port(), "/alice");
        bob.open(backend->port(), "/bob");
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 10000));

        QVERIFY2(server.pause(), qPrintable(server.errorString()));
        auto &engine = redisEngine(*backend);
        QTRY_VERIFY_WITH_TIMEOUT(!engine.isReady(), 8000);
        bob.disconnectGracefully();
        QTest::qWait(300); // the node sees the close (grace 0: the leave is made at once)
        QVERIFY(server.resume());
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE"), 10000));
        const QList<QJsonObject> told = alice.eventsFor(QStringLiteral("bob"));
        QCOMPARE(told.last()[u"reason"].toString(), QStringLiteral("left"));
        QCOMPARE(presence::test::runCommand(engine.commands(), {"HGET", "presence:status", "bob"}).toByteArray(),
                 QByteArray("OFFLINE"));
    }

    // Redis hung far longer than the TTL (300 ms) while members stay connected: the sweeps and
    // timeouts the node had sent before giving the connection up run when Redis resumes, after
    // their "not after" time, and do nothing; the node holds its timeouts until the heartbeats
    // land. Nobody is told OFFLINE. (Before, a buffered sweep found every deadline passed and
    // timed the members out on resume; they came back with their next heartbeat.)
    void aSweepAHungRedisHeldTimesNobodyOutOnResume()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server, PresenceTiming{200, 1.5, 0});
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 10000);
        SseTestClient alice, bob, carol;
        alice.open(backend->port(), "/alice");
        bob.open(backend->port(), "/bob");
        carol.open(backend->port(), "/carol");
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(alice.waitForStatus(QStringLiteral("carol"), QStringLiteral("ONLINE"), 10000));

        QVERIFY2(server.pause(), qPrintable(server.errorString()));
        auto &engine = redisEngine(*backend);
        QTRY_VERIFY_WITH_TIMEOUT(!engine.isReady(), 8000);
        QVERIFY(server.resume());
        QTRY_VERIFY_WITH_TIMEOUT(engine.isReady(), 10000);
        // The hold after the reconnect (TTL + heartbeat period), then a sweep interval's worth.
        QTest::qWait(300 + 200 + 1000);
        for (const QString &member : {QStringLiteral("bob"), QStringLiteral("carol")}) {
            for (const QJsonObject &event : alice.eventsFor(member))
                QVERIFY2(event[u"status"].toString() == QStringLiteral("ONLINE"),
                         qPrintable(member + QStringLiteral(" told ") + event[u"status"].toString() +
                                    QLatin1Char(' ') + event[u"reason"].toString()));
        }
    }
};

QTEST_GUILESS_MAIN(TestRedisDegraded)
#include "tst_redis_degraded.moc"
