// A join storm over real sockets (issue 16): N distinct clients open their streams into one
// room at once, as when a node restarts and every client of its big rooms reconnects. Both
// engines (the Redis one on a private redis-server). Every session must end with the full
// roster and none may be dropped, although each falls behind the room (the readers are in this
// thread, so each reads only between the node's turns), while a reader that never reads, in the
// same room, is still dropped by the stall rules. The slow-reader limits are small, so a node
// that dropped readers for being behind, rather than for being stuck, fails here.
#include "ProcessStatus.h"
#include "RawSseStream.h"
#include "RedisTestServer.h"
#include "app/PresenceBackend.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QTest>
#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <vector>

using namespace presence;
using presence::test::RedisTestServer;

namespace {
// Sanitizer builds run the node several times slower in this same process and check memory
// safety, not speed: there the storm is smaller.
#if defined(__SANITIZE_ADDRESS__)
constexpr int stormSize = 300;
#else
constexpr int stormSize = 1500;
#endif
const QByteArray clientPrefix = "storm-";

qint64 peakResidentKiB()
{
    return presence::test::ownStatusKiB("VmHWM");
}

// One stream of the storm, read whenever the test drains: which other storm clients it holds
// ONLINE, and whether its ids ever went backwards.
struct StormReader {
    int fd = -1;
    int self = -1;
    QByteArray pending;
    bool headersDone = false;
    bool closedByServer = false;
    std::vector<bool> online;
    int onlineCount = 0;
    EventId lastId;
    bool idsWentBack = false;

    ~StormReader()
    {
        if (fd >= 0)
            ::close(fd);
    }

    void drain()
    {
        char chunk[65536];
        while (fd >= 0 && !closedByServer) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n > 0) {
                pending.append(chunk, qsizetype(n));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                closedByServer = true;
            if (n == 0 || errno != EINTR)
                break;
        }
        parse();
    }

    void parse()
    {
        qsizetype at = 0;
        if (!headersDone) {
            const qsizetype end = pending.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            headersDone = true;
            at = end + 4;
        }
        qsizetype end;
        while ((end = pending.indexOf('\n', at)) >= 0) {
            line(QByteArrayView(pending).sliced(at, end - at));
            at = end + 1;
        }
        pending.remove(0, at);
    }

    void line(QByteArrayView text)
    {
        if (text.startsWith("id: ")) {
            const auto id = EventId::parse(text.sliced(4));
            if (id && *id < lastId)
                idsWentBack = true;
            if (id)
                lastId = std::max(lastId, *id);
            return;
        }
        if (!text.startsWith("data: "))
            return;
        const QByteArrayView needle = "\"client\":\"storm-";
        const qsizetype client = text.indexOf(needle);
        if (client < 0)
            return;
        int index = 0;
        for (qsizetype i = client + needle.size();
             i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
            index = index * 10 + (text[i] - '0');
        if (index == self || index >= int(online.size()))
            return;
        const bool isOnline = text.contains("\"status\":\"ONLINE\"");
        if (isOnline != online[size_t(index)]) {
            online[size_t(index)] = isOnline;
            onlineCount += isOnline ? 1 : -1;
        }
    }
};
} // namespace

class TestJoinStorm : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("presence.*.debug=false"));
        // Two descriptors per session in this one process (the node's and the reader's).
        rlimit limit{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
        limit.rlim_cur = limit.rlim_max;
        QVERIFY(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
        QVERIFY2(limit.rlim_cur >= rlim_t(2 * stormSize + 200), "too few open files allowed");
    }

    void everySessionEndsWithTheFullRoster_aStuckReaderIsDropped_data()
    {
        QTest::addColumn<bool>("redis");
        QTest::newRow("memory engine") << false;
        QTest::newRow("redis engine") << true;
    }

    void everySessionEndsWithTheFullRoster_aStuckReaderIsDropped()
    {
        QFETCH(bool, redis);
        RedisTestServer redisServer;
        Options options;
        options.headless = true;
        options.listenPort = 0;
        options.nodeId = QStringLiteral("storm-node");
        options.timing = PresenceTiming{60000, 1.5, 0}; // nothing times out during the test
        options.maxSessions = 2 * stormSize;
        options.maxSessionsPerAddress = 2 * stormSize;
        if (redis) {
            QVERIFY2(redisServer.start(), qPrintable(redisServer.errorString()));
            options.engine = EngineChoice::Redis;
            options.redisUrl = QStringLiteral("redis://127.0.0.1:%1").arg(redisServer.port());
        } else {
            options.engine = EngineChoice::Memory;
        }
        PresenceBackend node(options);
        RealtimeServer::Config config;
        // Far below what one storm reader falls behind by (~N·170 bytes): the limits may drop a
        // reader that is stuck, not one that is behind.
        config.sessionLimits.softQueuedBytes = 16 * 1024;
        config.sessionLimits.hardQueuedBytes = 64 * 1024;
        config.sessionLimits.slowReaderMs = 2000;
        // A reader whose window stays shut this long is stuck (the kernel ends it; the window
        // watcher, checking every keepalive, names it): short, so the test does not wait long.
        config.sessionLimits.peerTimeoutMs = 3000;
        config.keepaliveMs = 1000;
        node.setRealtimeConfig(config);
        QString error;
        QVERIFY2(node.start(&error), qPrintable(error));

        // A client already in the room that never reads a byte, with a tiny window: the storm
        // is its live backlog.
        const int stuck = presence::test::openRawSseStream(node.port(), "/stuck?room=big", 4096);
        QVERIFY(stuck >= 0);
        QTRY_COMPARE(node.realtime().sessionCount(), qsizetype(1));

        const qint64 peakBefore = peakResidentKiB();
        std::vector<std::unique_ptr<StormReader>> readers;
        readers.reserve(stormSize);
        QElapsedTimer clock;
        clock.start();
        // The storm: every stream asked for before the node accepts any of them.
        for (int i = 0; i < stormSize; ++i) {
            auto reader = std::make_unique<StormReader>();
            reader->self = i;
            reader->online.assign(size_t(stormSize), false);
            reader->fd = presence::test::openRawSseStream(
                node.port(), "/" + clientPrefix + QByteArray::number(i) + "?room=big", 64 * 1024);
            QVERIFY2(reader->fd >= 0, qPrintable(QString::number(i)));
            readers.push_back(std::move(reader));
        }
        auto everyoneComplete = [&] {
            for (const auto &reader : readers) {
                if (reader->onlineCount < stormSize - 1 && !reader->closedByServer)
                    return false;
            }
            return true;
        };
        QDeadlineTimer deadline(std::chrono::seconds(60));
        while (!everyoneComplete() && !deadline.hasExpired()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            for (const auto &reader : readers)
                reader->drain();
        }
        const qint64 stormMs = clock.elapsed();
        // The stuck reader is found out by the stall rules, whatever else the node is doing:
        // its backlog may all fit in the kernel's buffers (then its window stays shut), or not
        // (then it also stops taking bytes while over the limits).
        const auto stuckDrops = [&node] {
            const Metrics &m = node.metrics();
            return m.sessionsDroppedSlowReader + m.sessionsDroppedStalledReader +
                   m.sessionsDroppedDeadPeer;
        };
        QVERIFY(QTest::qWaitFor([&] { return stuckDrops() > 0; }, 15000));
        const qint64 grownKiB = peakResidentKiB() - peakBefore;
        std::fprintf(stderr, "storm of %d (%s): %lld ms, peak RSS grew %lld KiB\n", stormSize,
                     redis ? "redis" : "memory", qlonglong(stormMs), qlonglong(grownKiB));

        int closed = 0, complete = 0, backwards = 0;
        for (const auto &reader : readers) {
            closed += reader->closedByServer;
            complete += reader->onlineCount == stormSize - 1;
            backwards += reader->idsWentBack;
        }
        QCOMPARE(closed, 0);
        QCOMPARE(complete, stormSize);
        QCOMPARE(backwards, 0);
        QCOMPARE(stuckDrops(), quint64(1)); // the stuck one only
        QCOMPARE(node.metrics().sessionsDroppedWriteFailed, quint64(0));
        QTRY_COMPARE(node.realtime().sessionCount(), qsizetype(stormSize)); // the stuck one left
        ::close(stuck);
    }
};

QTEST_GUILESS_MAIN(TestJoinStorm)
#include "tst_join_storm.moc"
