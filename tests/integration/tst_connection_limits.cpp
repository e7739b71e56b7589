// Every limit of the HTTP front, over real sockets: the exact status of each refusal, the
// counters in /metrics, and a server that stays up.
#include "SseTestClient.h"
#include "app/PresenceBackend.h"

#include <QTcpSocket>
#include <QTest>

using namespace presence;
using presence::test::SseTestClient;

class TestConnectionLimits : public QObject {
    Q_OBJECT

    std::unique_ptr<PresenceBackend> m_backend;
    quint16 m_port = 0;

    void start(ConnectionLimits limits)
    {
        Options options;
        options.listenPort = 0;
        options.engine = EngineChoice::Memory;
        options.timing = PresenceTiming{1000, 1.5, 0};
        m_backend = std::make_unique<PresenceBackend>(options);
        RealtimeServer::Config realtime;
        realtime.keepaliveMs = 5000; // longer than the idle timeout below: streams are exempt
        m_backend->setRealtimeConfig(realtime);
        m_backend->setConnectionLimits(limits);
        QString error;
        QVERIFY2(m_backend->start(&error), qPrintable(error));
        m_port = m_backend->port();
    }

    std::unique_ptr<SseTestClient> open(const QByteArray &path)
    {
        auto client = std::make_unique<SseTestClient>();
        client->open(m_port, path);
        if (!client->waitForHeaders())
            qWarning() << "no answer for" << path;
        return client;
    }

    bool serverAnswers()
    {
        auto health = open("/health");
        return health->statusCode() == 200;
    }

    QByteArray metrics()
    {
        auto reply = open("/metrics");
        [[maybe_unused]] const bool complete =
            QTest::qWaitFor([&] { return reply->body().contains("presence_transitions_total"); }, 5000);
        return reply->body();
    }

private Q_SLOTS:
    void cleanup() { m_backend.reset(); }

    void sessionsPerAddressGet429()
    {
        ConnectionLimits limits;
        limits.maxSessionsPerAddress = 3;
        start(limits);
        auto a = open("/a"), b = open("/b"), c = open("/c");
        for (auto *client : {a.get(), b.get(), c.get()})
            QCOMPARE(client->statusCode(), 200);
        auto refused = open("/d");
        QCOMPARE(refused->statusCode(), 429);
        QCOMPARE(refused->header("Retry-After"), QByteArray("5"));
        QTRY_VERIFY(refused->body().contains("too many sessions from your address"));
        QVERIFY(metrics().contains("presence_sessions_refused_total 1\n"));
        // A slot freed is a slot to use again.
        a->abort();
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(2));
        QCOMPARE(open("/e")->statusCode(), 200);
    }

    void sessionsPerNodeGet503()
    {
        ConnectionLimits limits;
        limits.maxSessions = 2;
        start(limits);
        auto a = open("/a"), b = open("/b");
        auto refused = open("/c");
        QCOMPARE(refused->statusCode(), 503);
        QTRY_VERIFY(refused->body().contains("maximum of 2 sessions"));
        QVERIFY(serverAnswers()); // other routes are still served
    }

    void connectionsPerAddressAreClosedAtAccept()
    {
        ConnectionLimits limits;
        limits.maxPerAddress = 4;
        start(limits);
        std::vector<std::unique_ptr<QTcpSocket>> held;
        for (int i = 0; i < 4; ++i) {
            held.push_back(std::make_unique<QTcpSocket>());
            held.back()->connectToHost(QStringLiteral("127.0.0.1"), m_port);
            QVERIFY(held.back()->waitForConnected(2000));
        }
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(0));
        QTcpSocket extra;
        extra.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(extra.waitForConnected(2000)); // the kernel accepts; the server closes at once
        QTRY_COMPARE_WITH_TIMEOUT(extra.state(), QAbstractSocket::UnconnectedState, 5000);
        held.clear();
        QTRY_VERIFY(serverAnswers());
        QVERIFY(!metrics().contains("presence_connections_refused_total 0\n"));
    }

    // A stream drives its connection by descriptor once it is open (Qt's socket object goes):
    // it must still hold its place in the per-address count until it ends.
    void openStreamsCountAgainstTheConnectionLimit()
    {
        ConnectionLimits limits;
        limits.maxPerAddress = 3;
        start(limits);
        auto a = open("/a"), b = open("/b"), c = open("/c");
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(3));
        // The socket objects the streams left are deleted later: gone before the next accept.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QTcpSocket extra;
        extra.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(extra.waitForConnected(2000));
        QTRY_COMPARE_WITH_TIMEOUT(extra.state(), QAbstractSocket::UnconnectedState, 5000);
        QVERIFY(a->isConnected() && b->isConnected() && c->isConnected());
        // Its end gives the place back.
        a->abort();
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(2));
        auto d = open("/d");
        QCOMPARE(d->statusCode(), 200);
        QTRY_COMPARE(m_backend->realtime().sessionCount(), qsizetype(3));
    }

    void idleConnectionsAreClosed_streamsAreNot()
    {
        ConnectionLimits limits;
        limits.idleTimeoutMs = 300;
        start(limits);
        auto stream = open("/alice");
        QTcpSocket slowloris;
        slowloris.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(slowloris.waitForConnected(2000));
        slowloris.write("GET /health HT"); // and never the rest
        QTRY_COMPARE_WITH_TIMEOUT(slowloris.state(), QAbstractSocket::UnconnectedState, 5000);
        // The SSE stream, quiet for longer than the idle timeout, is still open.
        QTest::qWait(600);
        QVERIFY(stream->isConnected());
        QCOMPARE(m_backend->realtime().sessionCount(), qsizetype(1));
        QVERIFY(metrics().contains("presence_connections_closed_idle_total 1\n"));
    }

    void longUrlsGet414()
    {
        start(ConnectionLimits{});
        auto tooLong = open("/" + QByteArray(3000, 'a'));
        QCOMPARE(tooLong->statusCode(), 414);
        QTRY_VERIFY(tooLong->body().contains("longer than 2048 bytes"));
        QVERIFY(serverAnswers());
    }

    void hugeHeadersDoNotHurt()
    {
        start(ConnectionLimits{});
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        QVERIFY(socket.waitForConnected(2000));
        socket.write("GET /alice HTTP/1.1\r\nHost: x\r\nX-Junk: " + QByteArray(200 * 1024, 'j') + "\r\n\r\n");
        // Refused one way or another (the parser's header limit closes the connection).
        QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, 5000);
        QCOMPARE(m_backend->realtime().sessionCount(), qsizetype(0));
        QVERIFY(serverAnswers());
        QVERIFY(metrics().contains("presence_connections_closed_oversized_total 1\n"));
    }
};

QTEST_GUILESS_MAIN(TestConnectionLimits)
#include "tst_connection_limits.moc"
