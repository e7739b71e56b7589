// Graceful degradation against real redis-servers: unreachable at start, restricted commands
// (managed Redis), and the clear word the operator gets for each.
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "app/PresenceBackend.h"
#include "redis/RedisPresenceEngine.h"

#include <QTest>

using namespace presence;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {
std::unique_ptr<PresenceBackend> backendOn(const RedisTestServer &server)
{
    Options options;
    options.listenPort = 0;
    options.redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(server.port());
    options.nodeId = QStringLiteral("degraded");
    options.timing = PresenceTiming{200, 1.5, 0};
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

        SseTestClient health;
        health.open(backend->port(), "/health");
        QVERIFY(health.waitForHeaders());
        QCOMPARE(health.statusCode(), 200);
        QTRY_VERIFY(health.body().contains("\"status\":\"degraded\""));
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
        QVERIFY(alice.waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(bob.waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE"), 10000));
    }

    void configRefused_saysSoAndTheSweepCarriesOn()
    {
        RedisTestServer server({QStringLiteral("--rename-command"), QStringLiteral("CONFIG"), QString()});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server);
        QTRY_VERIFY_WITH_TIMEOUT(backend->engine().health().ok, 10000);
        auto &engine = redisEngine(*backend);
        QTRY_COMPARE(engine.keyspace().configState(), KeyspaceListener::ConfigState::Refused);
        QVERIFY2(engine.keyspace().configError().contains(QStringLiteral("unknown command"), Qt::CaseInsensitive),
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
        RedisTestServer server({QStringLiteral("--rename-command"), QStringLiteral("FUNCTION"), QString()});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto backend = backendOn(server);
        QTRY_VERIFY_WITH_TIMEOUT(!backend->engine().health().detail.isEmpty(), 10000);
        const auto health = backend->engine().health();
        QVERIFY(!health.ok);
        QVERIFY2(health.detail.contains(QStringLiteral("FUNCTION")), qPrintable(health.detail));
        SseTestClient check;
        check.open(backend->port(), "/health");
        QVERIFY(check.waitForHeaders());
        QTRY_VERIFY(check.body().contains("FUNCTION"));
    }
};

QTEST_GUILESS_MAIN(TestRedisDegraded)
#include "tst_redis_degraded.moc"
