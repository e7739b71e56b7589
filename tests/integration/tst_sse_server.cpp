// The SSE server over real sockets: an in-process backend on a free port, and clients that
// speak HTTP over QTcpSocket (SseTestClient), QNetworkAccessManager, curl and a raw socket.
#include "HttpGet.h"
#include "ProcessStatus.h"
#include "RawSseStream.h"
#include "SseTestClient.h"
#include "app/PresenceBackend.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTest>

#include <cstdio>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace presence;
using presence::test::SseTestClient;
using presence::test::httpGet;
using presence::test::HttpResult;

namespace {

qint64 residentKiB() { return presence::test::ownStatusKiB("VmRSS"); }

} // namespace

class TestSseServer : public QObject {
    Q_OBJECT

    std::unique_ptr<PresenceBackend> m_backend;
    quint16 m_port = 0;

    void startBackend(qint64 graceMs = 0, std::optional<SseSession::Limits> limits = std::nullopt)
    {
        Options options;
        options.headless = true;
        options.listenPort = 0;
        options.engine = EngineChoice::Memory;
        options.nodeId = QStringLiteral("test-node");
        options.timing = PresenceTiming{200, 1.5, graceMs};
        m_backend = std::make_unique<PresenceBackend>(options);
        RealtimeServer::Config config;
        config.keepaliveMs = 100;
        config.sessionLimits.softQueuedBytes = 64 * 1024;
        config.sessionLimits.hardQueuedBytes = 1024 * 1024;
        config.sessionLimits.slowReaderMs = 300;
        if (limits)
            config.sessionLimits = *limits;
        m_backend->setRealtimeConfig(config);
        QString error;
        QVERIFY2(m_backend->start(&error), qPrintable(error));
        m_port = m_backend->port();
        QVERIFY(m_port > 0);
    }

    std::unique_ptr<SseTestClient> connectClient(const QByteArray &name, const QByteArray &lastId = {})
    {
        auto client = std::make_unique<SseTestClient>();
        client->open(m_port, "/" + name, lastId);
        [&] { QVERIFY(client->waitForHeaders()); }();
        return client;
    }

    // An SSE stream over a raw socket with a 4 KiB receive window that the test reads (or not)
    // when it chooses; -1 if it could not be opened.
    int openTinyWindowStream(const QByteArray &client)
    {
        return presence::test::openRawSseStream(m_port, "/" + client, 4096);
    }

private Q_SLOTS:
    void init() { startBackend(); }
    void cleanup()
    {
        m_backend.reset();
        m_port = 0;
    }

    void streamHasSseHeaders()
    {
        auto alice = connectClient("alice");
        QCOMPARE(alice->statusCode(), 200);
        QVERIFY(alice->header("Content-Type").startsWith("text/event-stream"));
        QCOMPARE(alice->header("Cache-Control"), QByteArray("no-cache"));
        QVERIFY(alice->body().startsWith("retry: "));
    }

    void twoClientsSeeEachOtherJoinAndLeave()
    {
        auto alice = connectClient("alice");
        auto bob = connectClient("bob");
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        QVERIFY(bob->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        bob->disconnectGracefully();
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE")));
        const QJsonObject offline = alice->eventsFor(QStringLiteral("bob")).last();
        QCOMPARE(offline.value(QStringLiteral("reason")).toString(), QStringLiteral("left"));
        // Nobody is told about themselves.
        QVERIFY(alice->eventsFor(QStringLiteral("alice")).isEmpty());
        // Every change carries an id, and ids only grow.
        QByteArray previous;
        for (const auto &event : alice->events()) {
            QVERIFY(!event.id.isEmpty());
            if (!previous.isEmpty())
                QVERIFY(*EventId::parse(previous) <= *EventId::parse(event.id));
            previous = event.id;
        }
    }

    void snapshotOnConnect()
    {
        auto alice = connectClient("alice");
        auto bob = connectClient("bob");
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        auto carol = connectClient("carol");
        QVERIFY(carol->waitForEvent([](const auto &) { return true; }));
        QTRY_COMPARE(carol->events().size(), 2);
        QStringList names;
        for (const auto &event : carol->events()) {
            const QJsonObject json = event.json();
            QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("ONLINE"));
            QVERIFY(json.value(QStringLiteral("snapshot")).toBool());
            names.append(json.value(QStringLiteral("client")).toString());
        }
        names.sort();
        QCOMPARE(names, (QStringList{QStringLiteral("alice"), QStringLiteral("bob")}));
    }

    void lastEventIdResumesWithoutGaps()
    {
        auto alice = connectClient("alice");
        auto watcher = connectClient("watcher");
        QVERIFY(watcher->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        const QByteArray resumeFrom = watcher->lastEventId();
        watcher->abort();
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(1));

        // Missed while away: dave joins and leaves, eve joins.
        auto dave = connectClient("dave");
        QVERIFY(alice->waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        dave->disconnectGracefully();
        QVERIFY(alice->waitForStatus(QStringLiteral("dave"), QStringLiteral("OFFLINE")));
        auto eve = connectClient("eve");
        QVERIFY(alice->waitForStatus(QStringLiteral("eve"), QStringLiteral("ONLINE")));

        auto back = connectClient("watcher", resumeFrom);
        QVERIFY(back->waitForStatus(QStringLiteral("eve"), QStringLiteral("ONLINE")));
        QStringList replayed;
        for (const auto &event : back->events()) {
            const QJsonObject json = event.json();
            QVERIFY2(!json.value(QStringLiteral("snapshot")).toBool(), event.data.constData());
            replayed.append(json.value(QStringLiteral("client")).toString() + QLatin1Char(' ')
                            + json.value(QStringLiteral("status")).toString());
        }
        // Exactly what happened since the id: no snapshot of alice, no event of its own.
        QCOMPARE(replayed, (QStringList{QStringLiteral("dave ONLINE"), QStringLiteral("dave OFFLINE"),
                                        QStringLiteral("eve ONLINE")}));

        // Live events keep flowing after the replay.
        auto frank = connectClient("frank");
        QVERIFY(back->waitForStatus(QStringLiteral("frank"), QStringLiteral("ONLINE")));
    }

    void unknownLastEventIdGetsFullRoster()
    {
        auto alice = connectClient("alice");
        auto gone = connectClient("gone");
        gone->disconnectGracefully();
        QVERIFY(alice->waitForStatus(QStringLiteral("gone"), QStringLiteral("OFFLINE")));
        // From the future (another run): the view is rebuilt, including who went OFFLINE.
        auto back = connectClient("watcher", "99999999999999-0");
        QVERIFY(back->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        QVERIFY(back->waitForStatus(QStringLiteral("gone"), QStringLiteral("OFFLINE")));
        // Junk is treated the same way, never refused.
        auto junk = connectClient("junk", "not-an-id");
        QCOMPARE(junk->statusCode(), 200);
        QVERIFY(junk->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
    }

    void severalConnectionsAreOneClient()
    {
        auto alice = connectClient("alice");
        auto phone = connectClient("bob");
        auto laptop = connectClient("bob");
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        phone->abort();
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(2));
        const HttpResult snapshot = httpGet(m_port, QStringLiteral("/api/presence"));
        const QJsonArray clients = snapshot.json().value(QStringLiteral("clients")).toArray();
        bool bobOnlineWithOneConnection = false;
        for (const auto &row : clients) {
            const QJsonObject object = row.toObject();
            if (object.value(QStringLiteral("client")).toString() == u"bob")
                bobOnlineWithOneConnection = object.value(QStringLiteral("status")).toString() == u"ONLINE"
                                             && object.value(QStringLiteral("connections")).toInt() == 1;
        }
        QVERIFY(bobOnlineWithOneConnection);
        QCOMPARE(alice->eventsFor(QStringLiteral("bob")).size(), 1);
        laptop->abort();
        QVERIFY(alice->waitForStatus(QStringLiteral("bob"), QStringLiteral("OFFLINE")));
        QCOMPARE(alice->eventsFor(QStringLiteral("bob")).size(), 2);
    }

    void invalidIdsAreRefused_andTheServerStaysUp_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("space") << QByteArray("/bad%20id");
        QTest::newRow("too long") << "/" + QByteArray(129, 'a');
        QTest::newRow("unicode") << QByteArray("/%C3%A9");
        QTest::newRow("nul") << QByteArray("/a%00b");
        QTest::newRow("quote") << QByteArray("/a%22b");
        QTest::newRow("bad percent") << QByteArray("/a%zz");
    }
    void invalidIdsAreRefused_andTheServerStaysUp()
    {
        QFETCH(QByteArray, path);
        SseTestClient client;
        client.open(m_port, path);
        QVERIFY(client.waitForHeaders());
        QCOMPARE(client.statusCode(), 400);
        QVERIFY(client.header("Content-Type").startsWith("application/json"));
        QTRY_VERIFY(client.body().contains("\"error\""));
        QVERIFY2(client.body().contains("._-:@"), client.body().constData());
        QCOMPARE(httpGet(m_port, QStringLiteral("/health")).status, 200);
    }

    void unknownRoutesAndMethodsGetJsonErrors()
    {
        const HttpResult notFound = httpGet(m_port, QStringLiteral("/a/b"));
        QCOMPARE(notFound.status, 404);
        QVERIFY(notFound.json().contains(QStringLiteral("error")));
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/nothing")).status, 404);
        const HttpResult post = httpGet(m_port, QStringLiteral("/alice"), "POST");
        QCOMPARE(post.status, 405);
        QCOMPARE(post.json().value(QStringLiteral("status")).toInt(), 405);
        QCOMPARE(httpGet(m_port, QStringLiteral("/alice"), "DELETE").status, 405);
    }

    void garbageRequestsDoNotKillTheServer()
    {
        for (const QByteArray &garbage :
             {QByteArray("\x00\x01\x02\r\n\r\n", 7), QByteArray("GET\r\n\r\n"),
              QByteArray("GET / HTTP/9.9\r\n\r\n"), QByteArray(70000, 'A'),
              QByteArray("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n")}) {
            QTcpSocket socket;
            socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
            QVERIFY(socket.waitForConnected(2000));
            socket.write(garbage);
            socket.waitForBytesWritten(1000);
            socket.waitForReadyRead(200);
            socket.abort();
        }
        QCOMPARE(httpGet(m_port, QStringLiteral("/health")).status, 200);
    }

    void keepalivesAreCommentsNotMessages()
    {
        auto alice = connectClient("alice");
        QTRY_VERIFY_WITH_TIMEOUT(alice->comments() >= 2, 5000);
        QVERIFY(alice->events().isEmpty());
        QVERIFY(alice->body().contains(": keepalive\n\n"));
    }

    void apiPresenceHealthAndMetrics()
    {
        auto alice = connectClient("alice");
        QTRY_COMPARE(m_backend->engine().snapshot().size(), qsizetype(1));
        const HttpResult presence = httpGet(m_port, QStringLiteral("/api/presence"));
        QCOMPARE(presence.status, 200);
        QVERIFY(presence.contentType.startsWith("application/json"));
        const QJsonObject row = presence.json().value(QStringLiteral("clients")).toArray().at(0).toObject();
        QCOMPARE(row.value(QStringLiteral("client")).toString(), QStringLiteral("alice"));
        QCOMPARE(row.value(QStringLiteral("status")).toString(), QStringLiteral("ONLINE"));
        QCOMPARE(row.value(QStringLiteral("connections")).toInt(), 1);
        QVERIFY(row.value(QStringLiteral("since")).toDouble() > 0);
        QCOMPARE(presence.json().value(QStringLiteral("online")).toInt(), 1);

        const HttpResult health = httpGet(m_port, QStringLiteral("/health"));
        QCOMPARE(health.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(health.json().value(QStringLiteral("engine")).toString(), QStringLiteral("memory"));
        QCOMPARE(health.json().value(QStringLiteral("sessions")).toInt(), 1);

        const HttpResult metrics = httpGet(m_port, QStringLiteral("/metrics"));
        QVERIFY(metrics.contentType.startsWith("text/plain"));
        QVERIFY(metrics.body.contains("presence_sessions 1\n"));
        QVERIFY(metrics.body.contains("presence_online_clients 1\n"));
        QVERIFY(metrics.body.contains("presence_transitions_total{status=\"ONLINE\",reason=\"connected\"} 1\n"));
    }

    void pageIsServed()
    {
        const HttpResult page = httpGet(m_port, QStringLiteral("/"));
        QCOMPARE(page.status, 200);
        QVERIFY(page.contentType.startsWith("text/html"));
        QVERIFY(page.body.contains("new EventSource("));
    }

    void curlSeesTheRoster()
    {
        auto alice = connectClient("alice");
        QTRY_COMPARE(m_backend->engine().snapshot().size(), qsizetype(1));
        QProcess curl;
        curl.start(QStringLiteral("curl"),
                   {QStringLiteral("-sN"), QStringLiteral("--max-time"), QStringLiteral("1"),
                    QStringLiteral("http://127.0.0.1:%1/zoe").arg(m_port)});
        QVERIFY2(curl.waitForStarted(), "curl is needed for this test");
        QTRY_VERIFY_WITH_TIMEOUT(curl.state() == QProcess::NotRunning, 10000);
        const QByteArray out = curl.readAllStandardOutput();
        QVERIFY2(out.contains("\"client\":\"alice\""), out.constData());
        QVERIFY(out.contains("\"status\":\"ONLINE\""));
        QVERIFY(out.contains("id: "));
    }

    void aReaderThatFallsBehindAndCatchesUp_missesNothing()
    {
        // Writes go straight to the kernel until a reader falls behind, then through the
        // stream's queue, then straight again once it drained (and the queue's memory is
        // freed). Across both switches nothing may be lost, repeated or reordered.
        cleanup();
        SseSession::Limits patient; // this reader does catch up
        patient.softQueuedBytes = 64 * 1024 * 1024;
        patient.hardQueuedBytes = 64 * 1024 * 1024;
        patient.slowReaderMs = 60000;
        startBackend(0, patient);
        const int fd = openTinyWindowStream("lagger");
        QVERIFY(fd >= 0);
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(1));

        // Reads whatever has arrived, without blocking the server (it runs in this thread), and
        // takes the ids of the complete lines that came (parsed once: the stream is ~10 MB).
        QByteArray received;
        qsizetype parsedTo = 0;
        QList<EventId> ids;
        auto drain = [&] {
            char chunk[65536];
            for (;;) {
                const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
                if (n <= 0)
                    break;
                received.append(chunk, qsizetype(n));
            }
            for (qsizetype end; (end = received.indexOf('\n', parsedTo)) >= 0; parsedTo = end + 1) {
                const QByteArrayView line = QByteArrayView(received).sliced(parsedTo, end - parsedTo);
                if (line.startsWith("id: "))
                    ids.append(*EventId::parse(line.sliced(4)));
            }
            return ids.size();
        };
        // Two bursts with a catch-up between them: 2 × 30,000 events (~5 MB each, more than the
        // kernel's send buffer on loopback holds) against a 4 KiB receive window.
        QList<ClientId> churners;
        for (int i = 0; i < 50; ++i)
            churners.append(*ClientId::fromString(QStringLiteral("burst-%1").arg(i)));
        for (int burst = 0; burst < 2; ++burst) {
            for (int round = 0; round < 300; ++round) {
                for (const ClientId &client : std::as_const(churners)) {
                    m_backend->engine().heartbeat({client});
                    m_backend->engine().leave(client);
                }
            }
            const qsizetype expected = qsizetype(30000) * (burst + 1);
            QVERIFY2(QTest::qWaitFor([&] { return drain() >= expected; }, 20000),
                     qPrintable(QStringLiteral("%1 of %2 events").arg(ids.size()).arg(expected)));
        }
        QCOMPARE(ids.size(), 60000);
        for (qsizetype i = 1; i < ids.size(); ++i)
            QVERIFY2(ids[i - 1] < ids[i], qPrintable(ids[i].toString()));
        QCOMPARE(ids.last(), m_backend->engine().lastEventId());
        QCOMPARE(m_backend->realtime().sessionCount(), qsizetype(1)); // never dropped
        // Once caught up, live events still flow.
        m_backend->engine().heartbeat({churners.first()});
        QVERIFY(QTest::qWaitFor([&] { return drain() == 60001; }, 5000));
        QCOMPARE(ids.last(), m_backend->engine().lastEventId());
        ::close(fd);
    }

    void slowReaderIsDropped_andMemoryStaysBounded()
    {
        // A reader that never reads, with a tiny receive window.
        const int fd = openTinyWindowStream("frozen");
        QVERIFY(fd >= 0);
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(1));

        const qint64 rssBefore = residentKiB();
        // Churn other clients until the server gives up on the frozen reader.
        QList<ClientId> churners;
        for (int i = 0; i < 50; ++i)
            churners.append(*ClientId::fromString(QStringLiteral("churn-%1").arg(i)));
        QDeadlineTimer deadline(30000);
        int rounds = 0;
        // Dropped by the backlog rule (over the limits, no byte taken) or, when coalescing keeps
        // its backlog near the soft limit long enough (slow sanitizer builds), by the window
        // rule (receive window shut for the peer timeout): both are the stuck-reader drop.
        const auto dropped = [this] {
            return m_backend->metrics().sessionsDroppedSlowReader +
                   m_backend->metrics().sessionsDroppedStalledReader;
        };
        while (dropped() == 0 && !deadline.hasExpired()) {
            for (const ClientId &client : std::as_const(churners)) {
                m_backend->engine().heartbeat({client});
                m_backend->engine().leave(client);
            }
            ++rounds;
            QTest::qWait(1);
        }
        ::close(fd);
        QCOMPARE(dropped(), quint64(1));
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(0));
        const qint64 grownKiB = residentKiB() - rssBefore;
        std::fprintf(stderr, "slow reader dropped after %d events; RSS grew %lld KiB\n", rounds * 100,
                     qlonglong(grownKiB));
#if defined(__SANITIZE_ADDRESS__)
        // ASan's quarantine keeps freed memory resident: only a gross leak would show.
        constexpr qint64 boundKiB = 512 * 1024;
#else
        constexpr qint64 boundKiB = 32 * 1024;
#endif
        QVERIFY2(grownKiB < boundKiB, qPrintable(QString::number(grownKiB)));
        const HttpResult metrics = httpGet(m_port, QStringLiteral("/metrics"));
        QVERIFY(metrics.body.contains("presence_sessions_closed_total{reason=\"slow_reader\"} 1\n") ||
                metrics.body.contains("presence_sessions_closed_total{reason=\"stalled_reader\"} 1\n"));
    }
};

QTEST_GUILESS_MAIN(TestSseServer)
#include "tst_sse_server.moc"
