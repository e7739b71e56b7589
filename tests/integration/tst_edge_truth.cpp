// Truth at the edge, over real sockets and a real network fault: a client whose link is cut
// without FIN or RST (a network namespace of the test's own, its end of a veth pair taken
// down), a reader whose receive window shuts, a session whose first writes fail, and bad
// resume ids and HEAD requests. Both engines; the Redis one on a private redis-server.
#include "HttpGet.h"
#include "RawSseStream.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "TestNamespace.h"
#include "TimingBounds.h"
#include "app/PresenceBackend.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTcpSocket>
#include <QTest>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace presence;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;
using presence::test::TestNamespace;

namespace {
constexpr qint64 keepaliveMs = 1000;
constexpr qint64 peerTimeoutMs = 2000;
constexpr qint64 graceMs = 500;
// Scheduling, a Redis round trip or two and the watcher's own read; sanitizer builds are slower.
constexpr qint64 slackMs = 1000 + presence::test::offlineLatenessBoundMs;
} // namespace

class TestEdgeTruth : public QObject {
    Q_OBJECT

    std::unique_ptr<RedisTestServer> m_redis;
    std::unique_ptr<PresenceBackend> m_backend;
    QString m_host = QStringLiteral("127.0.0.1");
    quint16 m_port = 0;

    void startBackend(bool redis, const QString &host = QStringLiteral("127.0.0.1"),
                      SseSession::Limits limits = {}, qint64 keepalive = keepaliveMs)
    {
        Options options;
        options.headless = true;
        options.listenHost = host;
        options.listenPort = 0;
        options.nodeId = QStringLiteral("edge-node");
        options.timing = PresenceTiming{1000, 1.5, graceMs};
        options.engine = redis ? EngineChoice::Redis : EngineChoice::Memory;
        if (redis) {
            m_redis = std::make_unique<RedisTestServer>();
            QVERIFY2(m_redis->start(), qPrintable(m_redis->errorString()));
            options.redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(m_redis->port());
        }
        m_backend = std::make_unique<PresenceBackend>(options);
        RealtimeServer::Config config;
        config.keepaliveMs = keepalive;
        limits.peerTimeoutMs = peerTimeoutMs;
        config.sessionLimits = limits;
        m_backend->setRealtimeConfig(config);
        QString error;
        QVERIFY2(m_backend->start(&error), qPrintable(error));
        m_host = host;
        m_port = m_backend->port();
        QVERIFY(m_port > 0);
    }

    std::unique_ptr<SseTestClient> watch(const QByteArray &path = "/watcher",
                                         const QByteArray &lastId = {})
    {
        auto client = std::make_unique<SseTestClient>();
        client->openAt(m_host, m_port, path, lastId);
        [&] { QVERIFY(client->waitForHeaders()); }();
        return client;
    }

    // A raw stream whose receive buffer is tiny and which the test never reads past the head.
    int openUnreadStream(const QByteArray &client)
    {
        return presence::test::openRawSseStream(m_port, "/" + client, 2048);
    }

private Q_SLOTS:
    void cleanup()
    {
        m_backend.reset();
        m_redis.reset();
    }

    void silentlyLostClientGoesOfflineWithinTheBound_data()
    {
        QTest::addColumn<bool>("redis");
        QTest::newRow("memory") << false;
        QTest::newRow("redis") << true;
    }
    void silentlyLostClientGoesOfflineWithinTheBound()
    {
        QFETCH(bool, redis);
        TestNamespace guest;
        QVERIFY2(guest.create(), qPrintable(guest.errorString()));
        startBackend(redis, guest.hostAddress());
        auto watcher = watch();

        // curl, a real client, on the other host.
        QProcess curl;
        const QStringList command =
            guest.wrap({QStringLiteral("curl"), QStringLiteral("-sN"),
                        QStringLiteral("http://%1:%2/alice").arg(guest.hostAddress()).arg(m_port)});
        curl.start(command.first(), command.mid(1));
        QVERIFY(curl.waitForStarted());
        QVERIFY(watcher->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(QTest::qWaitFor([&] { return curl.bytesAvailable() > 0; }, 5000));

        QVERIFY2(guest.cut(), qPrintable(guest.errorString()));
        QElapsedTimer sinceCut;
        sinceCut.start();
        const qint64 bound = keepaliveMs + peerTimeoutMs + graceMs;
        QVERIFY2(watcher->waitForStatus(QStringLiteral("alice"), QStringLiteral("OFFLINE"),
                                        int(bound + slackMs + 5000)),
                 "alice stayed ONLINE after her link was cut");
        const qint64 elapsed = sinceCut.elapsed();
        qInfo("OFFLINE %lld ms after the cut (bound keepalive + peer timeout + grace = %lld ms)",
              elapsed, bound);
        QVERIFY2(elapsed <= bound + slackMs, qPrintable(QString::number(elapsed)));
        QCOMPARE(watcher->eventsFor(QStringLiteral("alice"))
                     .last()
                     .value(QStringLiteral("reason"))
                     .toString(),
                 QStringLiteral("left"));
        QTRY_COMPARE(m_backend->metrics().sessionsDroppedDeadPeer, quint64(1));
        curl.kill();
        curl.waitForFinished();
    }

    void readerWhoseWindowShutGoesOffline_data()
    {
        silentlyLostClientGoesOfflineWithinTheBound_data();
    }
    void readerWhoseWindowShutGoesOffline()
    {
        // A quiet room: the keepalives are all the traffic, and they fill the frozen reader's
        // tiny buffer; once its window is shut for the peer timeout it is dropped.
        QFETCH(bool, redis);
        startBackend(redis, QStringLiteral("127.0.0.1"), {}, 100);
        auto watcher = watch();
        const int fd = openUnreadStream("frozen");
        QVERIFY(fd >= 0);
        QVERIFY(watcher->waitForStatus(QStringLiteral("frozen"), QStringLiteral("ONLINE"), 10000));
        QElapsedTimer sinceFrozen;
        sinceFrozen.start();
        QVERIFY2(watcher->waitForStatus(QStringLiteral("frozen"), QStringLiteral("OFFLINE"), 60000),
                 "a reader whose window stayed shut stayed ONLINE");
        qInfo("frozen reader OFFLINE after %lld ms (keepalive every 100 ms)",
              sinceFrozen.elapsed());
        QCOMPARE(m_backend->metrics().sessionsDroppedStalledReader, quint64(1));
        QCOMPARE(m_backend->metrics().sessionsDroppedDeadPeer, quint64(0));
        ::close(fd);
    }

    void aFailedFirstWriteLeavesNoGhost()
    {
        // The second write of every session fails as a reset peer's would: for a client that
        // joins a room with someone in it, that is its roster, written before anything else.
        SseSession::Limits limits;
        limits.failingWrite = 2;
        startBackend(false, QStringLiteral("127.0.0.1"), limits);
        auto first = watch("/first");
        QTRY_COMPARE(m_backend->localClients().heldMembers().size(), 1);
        auto victim = watch("/victim");
        QVERIFY(victim->waitForDisconnect());
        QVERIFY(first->waitForDisconnect(5000)); // its keepalive was its second write
        // Both leave after the grace period; nothing is held, nobody stays ONLINE.
        QTRY_VERIFY_WITH_TIMEOUT(m_backend->localClients().heldMembers().isEmpty(), 5000);
        const auto nobodyOnline = [this] {
            const QList<ClientPresence> rows = m_backend->engine().snapshot();
            return std::none_of(rows.cbegin(), rows.cend(), [](const ClientPresence &row) {
                return row.status == PresenceStatus::Online;
            });
        };
        QTRY_VERIFY_WITH_TIMEOUT(nobodyOnline(), 5000);
        QVERIFY(m_backend->metrics().sessionsDroppedWriteFailed >= 2);
    }

    void malformedOrUnknownLastEventIdGetsAFreshRoster_data()
    {
        QTest::addColumn<QByteArray>("lastEventId");
        QTest::newRow("malformed") << QByteArray("abc");
        QTest::newRow("from the future") << QByteArray("99999999999999-0");
        // A cluster session's RoomCursor, sent to a store whose ids need none.
        QTest::newRow("room cursor") << QByteArray("r:1-0,2-0");
        QTest::newRow("broken room cursor") << QByteArray("r:1-0,");
    }
    void malformedOrUnknownLastEventIdGetsAFreshRoster()
    {
        QFETCH(QByteArray, lastEventId);
        startBackend(false);
        auto alice = watch("/alice");
        {
            auto bob = watch("/bob");
            QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        }
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE")));
        auto carol = watch("/carol", lastEventId);
        // Alice ONLINE and bob OFFLINE, both as roster rows: not a replay of bob's two events.
        QTRY_COMPARE(carol->events().size(), 2);
        QVERIFY(carol->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        QVERIFY(carol->waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE")));
        for (const auto &event : carol->events())
            QVERIFY(event.json().value(QStringLiteral("snapshot")).toBool());
    }

    void headIsAnsweredOnEveryGetRoute()
    {
        startBackend(false);
        auto alice = watch("/alice");
        // HEAD then GET on one connection: if HEAD had a body, the second answer would not
        // start right after the first one's headers.
        for (const char *path : {"/health", "/metrics", "/api/presence", "/api/rooms",
                                 "/api/rooms/default/presence", "/", "/bob"}) {
            QTcpSocket socket;
            socket.connectToHost(m_host, m_port);
            QVERIFY(socket.waitForConnected(5000));
            socket.write(QByteArray("HEAD ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n" +
                         "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            QByteArray answer;
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             socket.waitForReadyRead(50);
                             answer += socket.readAll();
                             return answer.count("HTTP/1.1 200") == 2 && answer.endsWith("}\n");
                         },
                         5000),
                     qPrintable(QString::fromUtf8(path + QByteArray(": ") + answer.left(300))));
            const qsizetype firstEnd = answer.indexOf("\r\n\r\n");
            QVERIFY(answer.startsWith("HTTP/1.1 200"));
            QVERIFY2(answer.mid(firstEnd + 4).startsWith("HTTP/1.1 200"), path);
            QVERIFY2(answer.left(firstEnd).contains("Content-Length:"), path);
        }
        // A HEAD of a stream opens none.
        QCOMPARE(m_backend->realtime().sessionCount(), qsizetype(1));
        const auto refused = presence::test::httpGet(m_port, QStringLiteral("/health"), "DELETE");
        QCOMPARE(refused.status, 405);
    }
};

QTEST_GUILESS_MAIN(TestEdgeTruth)
#include "tst_edge_truth.moc"
