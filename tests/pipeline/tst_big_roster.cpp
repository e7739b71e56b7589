// A roster far bigger than the slow-reader limits, paced to a reader at 1 MB/s: 80,000 clients
// ONLINE in the default room (their heartbeats written into `heartbeat` the seed's way, with
// redis-cli), a new client reading at an 8 Mbit/s link's speed gets every row exactly once,
// then a change that happened while its roster was on its way, then live events. Before the
// roster was paced, the 4 MiB hard limit closed that stream after 26,064 rows, every time.
#include "RawSseStream.h"
#include "RedisTestServer.h"
#include "app/PresenceBackend.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTest>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace presence;
using presence::test::RedisTestServer;

namespace {
// Sanitizer builds run the node several times slower in this same process and check memory
// safety, not size: there the room is a quarter as big. The plain builds, which CI runs too,
// hold the 80,000.
#if defined(__SANITIZE_ADDRESS__)
constexpr int members = 20000;
#else
constexpr int members = 80000;
#endif

// redis-cli --pipe with the given commands in RESP, as any outside writer would send them.
bool pipeToRedis(quint16 port, const QList<QList<QByteArray>> &commands, QString *error)
{
    QByteArray resp;
    for (const auto &argv : commands) {
        resp += '*' + QByteArray::number(argv.size()) + "\r\n";
        for (const QByteArray &arg : argv)
            resp += '$' + QByteArray::number(arg.size()) + "\r\n" + arg + "\r\n";
    }
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              {QStringLiteral("-p"), QString::number(port), QStringLiteral("--pipe")});
    if (!cli.waitForStarted()) {
        *error = cli.errorString();
        return false;
    }
    cli.write(resp);
    cli.closeWriteChannel();
    // The event loop runs meanwhile: the node in this process keeps reading.
    if (!QTest::qWaitFor([&] { return cli.state() == QProcess::NotRunning; }, 60000) ||
        cli.exitCode() != 0) {
        *error = QString::fromLocal8Bit(cli.readAllStandardOutput() + cli.readAllStandardError());
        return false;
    }
    return true;
}

QString redisOutput(quint16 port, const QStringList &command)
{
    QProcess cli;
    cli.start(QStringLiteral("redis-cli"),
              QStringList{QStringLiteral("-p"), QString::number(port)} + command);
    cli.waitForFinished(10000);
    return QString::fromLocal8Bit(cli.readAllStandardOutput()).simplified();
}

// An SSE stream over a raw socket that the test reads at a set rate.
struct PacedReader {
    int fd = -1;
    QByteArray pending;
    bool headersDone = false;
    QList<QJsonObject> events;

    bool open(quint16 port, const QByteArray &client)
    {
        fd = presence::test::openRawSseStream(port, "/" + client, 64 * 1024);
        return fd >= 0 && ::fcntl(fd, F_SETFL, O_NONBLOCK) == 0;
    }
    ~PacedReader()
    {
        if (fd >= 0)
            ::close(fd);
    }
    // Reads at most `bytes`; false once the server closed the stream.
    bool read(qsizetype bytes)
    {
        QByteArray chunk(bytes, Qt::Uninitialized);
        const ssize_t n = ::recv(fd, chunk.data(), size_t(bytes), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return false;
        if (n > 0)
            pending += chunk.left(n);
        if (!headersDone) {
            const qsizetype end = pending.indexOf("\r\n\r\n");
            if (end < 0)
                return true;
            pending.remove(0, end + 4);
            headersDone = true;
        }
        qsizetype end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
            const QByteArray block = pending.left(end);
            pending.remove(0, end + 2);
            for (const QByteArray &line : block.split('\n')) {
                if (line.startsWith("data: "))
                    events.append(QJsonDocument::fromJson(line.mid(6)).object());
            }
        }
        return true;
    }
};
} // namespace

class TestBigRoster : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aBigRosterReachesAOneMegabytePerSecondReaderWhole()
    {
        RedisTestServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.errorString()));
        Options options;
        options.headless = true;
        options.listenPort = 0;
        options.engine = EngineChoice::Redis;
        options.redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(redis.port());
        options.nodeId = QStringLiteral("big-node");
        // A TTL (90 s) longer than the test: the 80,000 are written once.
        options.timing = PresenceTiming{60000, 1.5, 0};
        PresenceBackend node(options);
        QString error;
        QVERIFY2(node.start(&error), qPrintable(error));

        // The processors' group reads what comes after it was made: one heartbeat, repeated
        // until it is seen, says they are there.
        QVERIFY(QTest::qWaitFor(
            [&] {
                pipeToRedis(redis.port(), {{"XADD", "heartbeat", "*", "client", "m0"}}, &error);
                return QTest::qWaitFor([&] { return !node.engine().snapshot().isEmpty(); }, 500);
            },
            20000));
        QList<QList<QByteArray>> heartbeats;
        for (int i = 1; i < members; ++i)
            heartbeats.append({"XADD", "heartbeat", "*", "client", "m" + QByteArray::number(i)});
        QVERIFY2(pipeToRedis(redis.port(), heartbeats, &error), qPrintable(error));
        // Counted from the engine's signal: copying an 80,000-row snapshot on every poll would
        // starve the node in this process of the time to read its replies.
        int online = 0;
        connect(
            &node.engine(), &PresenceEngine::presenceChanged, this,
            [&](const PresenceEvent &e) { online += e.status == PresenceStatus::Online ? 1 : -1; });
        online = int(node.engine().snapshot().size());
        QVERIFY2(QTest::qWaitFor([&] { return online == members; }, 60000),
                 qPrintable(QStringLiteral("%1 rows; redis: %2")
                                .arg(node.engine().snapshot().size())
                                .arg(redisOutput(redis.port(), {QStringLiteral("XLEN"),
                                                                QStringLiteral("presence")}) +
                                     QLatin1Char(' ') +
                                     redisOutput(redis.port(), {QStringLiteral("CLIENT"),
                                                                QStringLiteral("LIST")}))));

        PacedReader reader;
        QVERIFY(reader.open(node.port(), "reader"));
        // 16 KiB every 16 ms: 1 MB/s.
        bool midWritten = false;
        bool open = true;
        QElapsedTimer elapsed;
        elapsed.start();
        const auto done = [&] {
            return !reader.events.isEmpty() &&
                   reader.events.last().value(QStringLiteral("client")).toString() == u"late";
        };
        while (open && !done() && elapsed.elapsed() < 60000) {
            QTest::qWait(16);
            open = reader.read(16 * 1024);
            if (!midWritten && reader.events.size() > 1000) {
                // A change while the roster is on its way: it must come after it, once.
                QVERIFY(pipeToRedis(redis.port(), {{"XADD", "heartbeat", "*", "client", "mid"}},
                                    &error));
                midWritten = true;
            }
            if (reader.events.size() > members && reader.events.size() < members + 2 &&
                reader.events.last().value(QStringLiteral("client")).toString() == u"mid")
                QVERIFY(pipeToRedis(redis.port(), {{"XADD", "heartbeat", "*", "client", "late"}},
                                    &error));
        }
        QVERIFY2(open, qPrintable(QStringLiteral("the server closed the stream after %1 events")
                                      .arg(reader.events.size())));
        QVERIFY2(done(), qPrintable(QString::number(reader.events.size())));
        qInfo("%d roster rows and 2 live events in %lld ms", members, elapsed.elapsed());

        QSet<QString> seen;
        for (int i = 0; i < members; ++i) {
            const QJsonObject &row = reader.events[i];
            QVERIFY(row.value(QStringLiteral("snapshot")).toBool());
            QCOMPARE(row.value(QStringLiteral("status")).toString(), QStringLiteral("ONLINE"));
            seen.insert(row.value(QStringLiteral("client")).toString());
        }
        QCOMPARE(seen.size(), members); // every member, none twice
        QVERIFY(!seen.contains(QStringLiteral("mid")));
        QCOMPARE(reader.events.size(), members + 2);
        QCOMPARE(reader.events[members].value(QStringLiteral("client")).toString(),
                 QStringLiteral("mid"));
        QVERIFY(!reader.events[members].value(QStringLiteral("snapshot")).toBool());
        QCOMPARE(node.metrics().sessionsDroppedSlowReader, quint64(0));
    }
};

QTEST_GUILESS_MAIN(TestBigRoster)
#include "tst_big_roster.moc"
