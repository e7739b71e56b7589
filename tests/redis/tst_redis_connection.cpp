#include "RedisTestServer.h"
#include "TimingBounds.h"
#include "redis/RedisConnection.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QThread>
#include <memory>
#include <optional>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

using presence::RedisConnection;
using presence::RedisReply;
using presence::RedisUrl;
using presence::test::busyMachineSlackMs;
using presence::test::RedisTestServer;
using State = RedisConnection::State;

namespace {

constexpr int kTimeoutMs = 10000;

bool waitForState(const RedisConnection &connection, State state, int timeoutMs = kTimeoutMs)
{
    return QTest::qWaitFor([&] { return connection.state() == state; }, timeoutMs);
}

// Issues one command and waits for its reply; nullopt if none came in time.
std::optional<RedisReply> run(RedisConnection &connection, const QList<QByteArray> &argv)
{
    std::optional<RedisReply> result;
    connection.command(argv, [&result](const RedisReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, kTimeoutMs))
        return std::nullopt;
    return result;
}

// GET `key` over a blocking socket of its own, without the event loop: the value, or nil.
std::optional<QByteArray> blockingGet(const QString &unixPath, quint16 port, const QByteArray &key)
{
    const int fd = unixPath.isEmpty() ? socket(AF_INET, SOCK_STREAM, 0) : socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return std::nullopt;
    const auto done = qScopeGuard([fd] { close(fd); });
    int rc = -1;
    if (unixPath.isEmpty()) {
        sockaddr_in in {};
        in.sin_family = AF_INET;
        in.sin_port = htons(port);
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(fd, reinterpret_cast<sockaddr *>(&in), sizeof in);
    } else {
        sockaddr_un un {};
        un.sun_family = AF_UNIX;
        const QByteArray path = unixPath.toLocal8Bit();
        std::memcpy(un.sun_path, path.constData(), std::min<size_t>(size_t(path.size()), sizeof un.sun_path - 1));
        rc = ::connect(fd, reinterpret_cast<sockaddr *>(&un), sizeof un);
    }
    if (rc != 0)
        return std::nullopt;
    timeval wait {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    const QByteArray request = "GET " + key + "\r\n";
    if (::write(fd, request.constData(), size_t(request.size())) != request.size())
        return std::nullopt;
    QByteArray reply;
    char buffer[256];
    while (!(reply.startsWith("$-1\r\n") || (reply.startsWith('$') && reply.count('\n') >= 2))) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0)
            return std::nullopt;
        reply.append(buffer, qsizetype(n));
    }
    if (reply.startsWith("$-1"))
        return QByteArray();
    const qsizetype start = reply.indexOf('\n') + 1;
    return reply.mid(start, reply.indexOf('\r', start) - start);
}

} // namespace

class TestRedisConnection : public QObject {
    Q_OBJECT

private:
    RedisTestServer m_server;

    std::unique_ptr<RedisConnection> connectTo(const RedisUrl &url)
    {
        auto connection = std::make_unique<RedisConnection>(url);
        connection->open();
        return connection;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.errorString())); }

    void setAndGet()
    {
        auto redis = connectTo(m_server.url());
        QVERIFY2(waitForState(*redis, State::Up), qPrintable(redis->lastError()));
        QVERIFY(redis->lastError().isEmpty());
        const auto set = run(*redis, {"SET", "greeting", "hello"});
        QVERIFY(set);
        QVERIFY2(set->isOk(), set->toDebugString().constData());
        const auto get = run(*redis, {"GET", "greeting"});
        QVERIFY(get);
        QCOMPARE(get->type(), RedisReply::Type::String);
        QCOMPARE(get->toByteArray(), QByteArray("hello"));
        const auto missing = run(*redis, {"GET", "no-such-key"});
        QVERIFY(missing && missing->isNil());
    }

    void binarySafe()
    {
        auto redis = connectTo(m_server.url());
        const QByteArray key("bin\0key", 7);
        const QByteArray value("\0\xff\r\n$3\r\n\x01\0", 10);
        QCOMPARE(value.size(), 10);
        QVERIFY(run(*redis, {"SET", key, value}).value_or(RedisReply()).isOk());
        const auto get = run(*redis, {"GET", key});
        QVERIFY(get);
        QCOMPARE(get->toByteArray(), value);
        const auto length = run(*redis, {"STRLEN", key});
        QVERIFY(length);
        QCOMPARE(length->toInteger(), 10);
    }

    void errorReplyReachesCallback()
    {
        auto redis = connectTo(m_server.url());
        QVERIFY(run(*redis, {"DEL", "a-list"}));
        QVERIFY(run(*redis, {"LPUSH", "a-list", "x"}));
        const auto wrong = run(*redis, {"GET", "a-list"});
        QVERIFY(wrong);
        QVERIFY(wrong->isError());
        QVERIFY2(wrong->toByteArray().startsWith("WRONGTYPE"), wrong->toByteArray().constData());
        QCOMPARE(redis->state(), State::Up); // an error reply is not a connection problem
        const auto pong = run(*redis, {"PING"});
        QVERIFY(pong);
        QCOMPARE(pong->toByteArray(), QByteArray("PONG"));
    }

    void tenThousandPipelinedIncrs()
    {
        auto redis = connectTo(m_server.url());
        QVERIFY(waitForState(*redis, State::Up));
        QVERIFY(run(*redis, {"DEL", "counter"}));
        constexpr int count = 10000;
        QList<qint64> replies;
        replies.reserve(count);
        for (int i = 0; i < count; ++i) {
            redis->command({"INCR", "counter"}, [&replies](const RedisReply &reply) {
                replies.append(reply.toInteger());
            });
        }
        // All of them went to hiredis without waiting for any reply: that is the pipeline.
        QCOMPARE(redis->inFlightCount(), qsizetype(count));
        QVERIFY(QTest::qWaitFor([&] { return replies.size() == count; }, kTimeoutMs));
        for (int i = 0; i < count; ++i)
            QCOMPARE(replies[i], qint64(i + 1));
    }

    void commandsWaitUntilUp()
    {
        RedisConnection redis(m_server.url());
        QList<RedisReply> replies;
        redis.command({"SET", "queued", "1"}, [&](const RedisReply &r) { replies.append(r); });
        redis.command({"GET", "queued"}, [&](const RedisReply &r) { replies.append(r); });
        QCOMPARE(redis.queuedCount(), qsizetype(2));
        redis.open();
        QVERIFY(QTest::qWaitFor([&] { return replies.size() == 2; }, kTimeoutMs));
        QVERIFY(replies[0].isOk());
        QCOMPARE(replies[1].toByteArray(), QByteArray("1"));
    }

    void queueIsBounded()
    {
        RedisConnection::Options options;
        options.maxQueued = 3;
        int dropped = 0;
        std::optional<RedisReply> refused;
        {
            RedisConnection redis(m_server.url(), options);
            for (int i = 0; i < 3; ++i)
                redis.command({"PING"}, [&](const RedisReply &) { ++dropped; });
            redis.command({"PING"}, [&](const RedisReply &r) { refused = r; });
            QVERIFY(!refused); // never from inside command()
            QVERIFY(QTest::qWaitFor([&] { return refused.has_value(); }, kTimeoutMs));
            QVERIFY(refused->isError());
            QVERIFY2(refused->toByteArray().startsWith("QUEUEFULL"),
                     refused->toByteArray().constData());
        }
        QCOMPARE(dropped, 0); // destroyed with commands still queued: dropped, no crash
    }

    void selectsDatabase()
    {
        auto db3 = connectTo(m_server.url(3));
        auto db0 = connectTo(m_server.url(0));
        QVERIFY(run(*db3, {"SET", "only-in-3", "yes"}).value_or(RedisReply()).isOk());
        QVERIFY(run(*db0, {"GET", "only-in-3"}).value_or(RedisReply::integer(1)).isNil());
        auto again3 = connectTo(m_server.url(3));
        QCOMPARE(run(*again3, {"GET", "only-in-3"}).value_or(RedisReply()).toByteArray(),
                 QByteArray("yes"));
    }

    void badDatabaseReportsDown()
    {
        auto redis = connectTo(m_server.url(9999));
        QVERIFY(waitForState(*redis, State::Down));
        QVERIFY2(redis->lastError().contains(QStringLiteral("SELECT")),
                 qPrintable(redis->lastError()));
    }

    void unixSocket()
    {
        auto redis = connectTo(RedisUrl::unixSocket(m_server.unixSocketPath()));
        QVERIFY2(waitForState(*redis, State::Up), qPrintable(redis->lastError()));
        QCOMPARE(run(*redis, {"PING"}).value_or(RedisReply()).toByteArray(), QByteArray("PONG"));
    }

    // flush() puts what command() queued on the wire before the event loop comes round again
    // (the heartbeat processor's calls: Redis sat idle while the node finished its pass).
    void flushSendsWithoutWaitingForTheEventLoop_data()
    {
        QTest::addColumn<bool>("overUnix");
        QTest::newRow("tcp") << false;
        QTest::newRow("unix") << true;
    }
    void flushSendsWithoutWaitingForTheEventLoop()
    {
        QFETCH(bool, overUnix);
        const QString path = overUnix ? m_server.unixSocketPath() : QString();
        auto redis = connectTo(overUnix ? RedisUrl::unixSocket(path) : m_server.url());
        QVERIFY2(waitForState(*redis, State::Up), qPrintable(redis->lastError()));
        const QByteArray key = overUnix ? "flushed-unix" : "flushed-tcp";
        redis->command({"SET", key, "yes"});
        redis->flush();
        // From here on the event loop does not run: only flush() can have sent the SET. Another
        // connection asks until it sees it (Redis may serve that one first), for 2 s at most.
        std::optional<QByteArray> seen;
        QElapsedTimer clock;
        clock.start();
        do {
            seen = blockingGet(path, m_server.port(), key);
        } while (seen && seen->isEmpty() && clock.elapsed() < 2000);
        QVERIFY(seen);
        QCOMPARE(*seen, QByteArray("yes"));
    }

    void nothingListeningReportsDown()
    {
        RedisTestServer unused;
        QVERIFY2(unused.start(), qPrintable(unused.errorString()));
        const RedisUrl url = unused.url();
        QVERIFY(unused.stop());
        auto redis = connectTo(url);
        std::optional<RedisReply> reply;
        redis->command({"PING"}, [&](const RedisReply &r) { reply = r; });
        QVERIFY(waitForState(*redis, State::Down));
        QVERIFY2(redis->lastError().contains(QStringLiteral("cannot connect")),
                 qPrintable(redis->lastError()));
        QVERIFY(QTest::qWaitFor([&] { return reply.has_value(); }, kTimeoutMs));
        QVERIFY(reply->isError());
    }

    void silentServerTimesOut()
    {
        QTcpServer silent; // accepts the connection, never answers the handshake
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        RedisConnection::Options options;
        options.connectTimeoutMs = 300;
        RedisConnection redis(RedisUrl::tcp(QStringLiteral("127.0.0.1"), silent.serverPort()),
                              options);
        std::optional<RedisReply> reply;
        redis.command({"PING"}, [&](const RedisReply &r) { reply = r; });
        redis.open();
        QVERIFY(waitForState(redis, State::Down));
        QVERIFY2(redis.lastError().contains(QStringLiteral("no answer within 300 ms")),
                 qPrintable(redis.lastError()));
        QVERIFY(QTest::qWaitFor([&] { return reply.has_value(); }, kTimeoutMs));
        QVERIFY(reply->isError());
    }

    void hungServerIsNoticed_andReconnectedAfterItResumes()
    {
        // SIGSTOP: the sockets stay open and the kernel even accepts new ones; nothing answers.
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        RedisConnection::Options options;
        options.replyTimeoutMs = 500;
        options.pingIntervalMs = 300;
        options.connectTimeoutMs = 500;
        options.maxBackoffMs = 200;
        RedisConnection busy(server.url(), options);    // a command in flight when it hangs
        RedisConnection idle(server.url(), options);    // nothing in flight: found by its ping
        RedisConnection blocked(server.url(), options); // in a blocking read (BLOCK 1000)
        RedisConnection subscriber(server.url(), options);
        subscriber.subscribe({"nobody-publishes"}, [](const QByteArray &, const QByteArray &) {});
        for (RedisConnection *c : {&busy, &idle, &blocked, &subscriber})
            c->open();
        for (RedisConnection *c : {&busy, &idle, &blocked, &subscriber})
            QVERIFY2(waitForState(*c, State::Up), qPrintable(c->lastError()));
        QTest::qWait(400); // the idle ones have pinged once: their next ping finds the hang

        QVERIFY2(server.pause(), qPrintable(server.errorString()));
        QElapsedTimer sincePause;
        sincePause.start();
        std::optional<RedisReply> answer, read;
        busy.command({"SET", "k", "v"}, [&](const RedisReply &r) { answer = r; });
        blocked.command({"XREAD", "BLOCK", "1000", "STREAMS", "none", "$"},
                        [&](const RedisReply &r) { read = r; });
        // Bounds: the deadline (500 ms, + 1000 ms BLOCK) plus a watchdog tick (125 ms); the idle
        // ones also wait up to one ping interval (300 ms) first. Slack for a busy CI (more under ASan).
        QVERIFY(waitForState(busy, State::Down, 2000));
        const qint64 busyMs = sincePause.elapsed();
        QVERIFY2(busyMs < 500 + 125 + busyMachineSlackMs, QByteArray::number(busyMs).constData());
        QVERIFY2(busy.lastError().contains(QStringLiteral("no reply within 500 ms")),
                 qPrintable(busy.lastError()));
        QVERIFY(answer.has_value() && answer->isError());
        QVERIFY(waitForState(idle, State::Down, 2000));
        QVERIFY(waitForState(subscriber, State::Down, 2000));
        QVERIFY2(sincePause.elapsed() < 300 + 500 + 125 + busyMachineSlackMs,
                 QByteArray::number(sincePause.elapsed()).constData());
        QVERIFY(waitForState(blocked, State::Down, 3000));
        QVERIFY2(sincePause.elapsed() < 1000 + 500 + 125 + busyMachineSlackMs,
                 QByteArray::number(sincePause.elapsed()).constData());
        QVERIFY(read.has_value() && read->isError());
        // Still paused: reconnect attempts time out in the handshake and keep failing.
        QTest::qWait(700);
        for (RedisConnection *c : {&busy, &idle, &blocked, &subscriber})
            QVERIFY(c->state() != State::Up);

        QVERIFY2(server.resume(), qPrintable(server.errorString()));
        for (RedisConnection *c : {&busy, &idle, &blocked, &subscriber})
            QVERIFY2(waitForState(*c, State::Up, 5000), qPrintable(c->lastError()));
        QCOMPARE(run(busy, {"PING"}).value_or(RedisReply()).toByteArray(), QByteArray("PONG"));
        // A healthy idle connection is not dropped by its own pings.
        QSignalSpy changes(&idle, &RedisConnection::stateChanged);
        QSignalSpy subscriberChanges(&subscriber, &RedisConnection::stateChanged);
        QTest::qWait(1500);
        QCOMPARE(changes.size(), 0);
        QCOMPARE(subscriberChanges.size(), 0);
    }

    // A pipeline deeper than the reply deadline, answered steadily: busy, not hung (a join storm
    // queues thousands of calls at once). Ten scripts of 100 ms each against a 500 ms deadline,
    // each with 20 KB of ballast so that Redis reads (and answers) them one at a time, as it
    // answers a long pipeline of small calls batch by batch: the last ones wait ~1 s behind the
    // others, every one is answered and the connection stays up.
    void aDeepPipelineAnsweredSteadilyIsNotAHang()
    {
        RedisConnection::Options options;
        options.replyTimeoutMs = 500;
        options.pingIntervalMs = 300;
        RedisConnection redis(m_server.url(), options);
        redis.open();
        QVERIFY(waitForState(redis, State::Up));
        QSignalSpy changes(&redis, &RedisConnection::stateChanged);
        const QByteArray busy100ms =
            "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
            "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 100000 "
            "return 1";
        const QByteArray ballast(20000, 'b');
        int answered = 0;
        QElapsedTimer sent;
        sent.start();
        for (int i = 0; i < 10; ++i) {
            redis.command({"EVAL", busy100ms, "0", ballast}, [&answered](const RedisReply &r) {
                answered += r.isInteger() ? 1 : 0;
            });
        }
        QVERIFY(QTest::qWaitFor([&] { return answered == 10 || changes.size() > 0; }, 5000));
        QCOMPARE(answered, 10);
        QVERIFY2(sent.elapsed() > 900, QByteArray::number(sent.elapsed()).constData()); // deeper than 500 ms
        QCOMPARE(changes.size(), 0);
        QCOMPARE(redis.state(), State::Up);
    }

    void aStalledClientIsNotMistakenForAHungServer()
    {
        // This process stalls (a busy loop here; SIGSTOP or a frozen VM alike) past the reply
        // deadline while the server answered: the connection stays up.
        RedisConnection::Options options;
        options.replyTimeoutMs = 500;
        options.pingIntervalMs = 300;
        RedisConnection redis(m_server.url(), options);
        redis.open();
        QVERIFY(waitForState(redis, State::Up));
        QSignalSpy changes(&redis, &RedisConnection::stateChanged);
        std::optional<RedisReply> answer;
        redis.command({"SET", "stalled", "1"}, [&](const RedisReply &r) { answer = r; });
        QThread::msleep(1500);
        QVERIFY(QTest::qWaitFor([&] { return answer.has_value(); }, 2000));
        QVERIFY(answer->isOk());
        QTest::qWait(800); // a few watchdog ticks and a ping
        QCOMPARE(changes.size(), 0);
        QCOMPARE(redis.state(), State::Up);
    }

    void hostNamesAreResolvedOffTheLoop()
    {
        // "localhost" goes through QHostInfo, then hiredis gets the address.
        auto redis = connectTo(RedisUrl::tcp(QStringLiteral("localhost"), m_server.port()));
        QVERIFY2(waitForState(*redis, State::Up), qPrintable(redis->lastError()));
        QCOMPARE(run(*redis, {"PING"}).value_or(RedisReply()).toByteArray(), QByteArray("PONG"));
        auto nowhere = connectTo(RedisUrl::tcp(QStringLiteral("no-such-host.invalid"), 6379));
        QVERIFY(waitForState(*nowhere, State::Down));
        QVERIFY2(nowhere->lastError().contains(QStringLiteral("cannot resolve")),
                 qPrintable(nowhere->lastError()));
    }

    void authentication()
    {
        const QByteArray password("pa ss@w:rd");
        RedisTestServer secured({QStringLiteral("--requirepass"), QString::fromUtf8(password)});
        QVERIFY2(secured.start(), qPrintable(secured.errorString()));

        auto right = connectTo(secured.url().withCredentials({}, password));
        QVERIFY2(waitForState(*right, State::Up), qPrintable(right->lastError()));
        QCOMPARE(run(*right, {"PING"}).value_or(RedisReply()).toByteArray(), QByteArray("PONG"));

        auto asDefaultUser =
            connectTo(secured.url().withCredentials(QStringLiteral("default"), password));
        QVERIFY2(waitForState(*asDefaultUser, State::Up), qPrintable(asDefaultUser->lastError()));

        RedisConnection wrong(secured.url().withCredentials({}, "not-it"));
        QSignalSpy changes(&wrong, &RedisConnection::stateChanged);
        wrong.open();
        QVERIFY(waitForState(wrong, State::Down));
        QVERIFY2(wrong.lastError().contains(QStringLiteral("authentication"), Qt::CaseInsensitive),
                 qPrintable(wrong.lastError()));
        QVERIFY(!wrong.lastError().contains(QStringLiteral("not-it")));
        QVERIFY(!changes.isEmpty());
        QCOMPARE(changes.last().at(0).value<State>(), State::Down);
        QCOMPARE(changes.last().at(1).toString(), wrong.lastError());

        auto none = connectTo(secured.url());
        QVERIFY(waitForState(*none, State::Down));
        QVERIFY2(none->lastError().contains(QStringLiteral("authentication required")),
                 qPrintable(none->lastError()));
    }

    void reconnectsAfterServerRestart()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        auto redis = connectTo(server.url());
        QVERIFY(waitForState(*redis, State::Up));
        QSignalSpy changes(redis.get(), &RedisConnection::stateChanged);

        std::optional<RedisReply> blocked; // BLPOP with no timeout is in flight until the drop
        redis->command({"BLPOP", "never-filled", "0"}, [&](const RedisReply &r) { blocked = r; });
        int answered = 0;
        for (int i = 0; i < 100; ++i)
            redis->command({"INCR", "n"}, [&](const RedisReply &) { ++answered; });

        QVERIFY(server.stop());
        QVERIFY(waitForState(*redis, State::Down));
        QVERIFY(!redis->lastError().isEmpty());
        QVERIFY(QTest::qWaitFor([&] { return blocked.has_value(); }, kTimeoutMs));
        QVERIFY(blocked->isError());
        QVERIFY2(blocked->toByteArray().startsWith("CONNECTION"),
                 blocked->toByteArray().constData());
        QVERIFY(QTest::qWaitFor([&] { return answered == 100; }, kTimeoutMs));
        QVERIFY(changes.size() >= 1);
        QCOMPARE(changes.first().at(0).value<State>(), State::Down);

        QVERIFY2(server.restart(), qPrintable(server.errorString()));
        QVERIFY2(waitForState(*redis, State::Up), qPrintable(redis->lastError()));
        QVERIFY(redis->lastError().isEmpty());
        QVERIFY(run(*redis, {"SET", "after", "restart"}).value_or(RedisReply()).isOk());
        QCOMPARE(run(*redis, {"GET", "after"}).value_or(RedisReply()).toByteArray(),
                 QByteArray("restart"));
        QCOMPARE(answered, 100); // exactly one callback each
    }

    void pubSubSurvivesRestart()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        RedisConnection subscriber(server.url());
        QList<QPair<QByteArray, QByteArray>> received;
        const auto collect = [&](const QByteArray &channel, const QByteArray &payload) {
            received.append({channel, payload});
        };
        subscriber.subscribe({"news"}, collect);
        subscriber.psubscribe({"chat.*"}, collect);
        QSignalSpy confirmed(&subscriber, &RedisConnection::subscribed);
        subscriber.open();
        QVERIFY(waitForState(subscriber, State::Up)); // Up ⇒ subscriptions confirmed
        QCOMPARE(confirmed.size(), 2);

        auto publisher = connectTo(server.url());
        const QByteArray binary("\0\xffpayload", 9);
        QCOMPARE(run(*publisher, {"PUBLISH", "news", binary}).value_or(RedisReply()).toInteger(),
                 1);
        QCOMPARE(
            run(*publisher, {"PUBLISH", "chat.room1", "hi"}).value_or(RedisReply()).toInteger(), 1);
        QVERIFY(QTest::qWaitFor([&] { return received.size() == 2; }, kTimeoutMs));
        QCOMPARE(received[0], qMakePair(QByteArray("news"), binary));
        QCOMPARE(received[1], qMakePair(QByteArray("chat.room1"), QByteArray("hi")));

        const auto refused = run(subscriber, {"GET", "x"});
        QVERIFY(refused && refused->isError());
        QVERIFY(refused->toByteArray().startsWith("SUBSCRIBER"));

        QVERIFY(server.stop());
        QVERIFY(waitForState(subscriber, State::Down));
        QVERIFY2(server.restart(), qPrintable(server.errorString()));
        QVERIFY2(waitForState(subscriber, State::Up), qPrintable(subscriber.lastError()));
        QVERIFY(waitForState(*publisher, State::Up));
        QCOMPARE(run(*publisher, {"PUBLISH", "news", "again"}).value_or(RedisReply()).toInteger(),
                 1);
        QCOMPARE(run(*publisher, {"PUBLISH", "chat.x", "too"}).value_or(RedisReply()).toInteger(),
                 1);
        QVERIFY(QTest::qWaitFor([&] { return received.size() == 4; }, kTimeoutMs));
        QCOMPARE(received[2], qMakePair(QByteArray("news"), QByteArray("again")));
        QCOMPARE(received[3], qMakePair(QByteArray("chat.x"), QByteArray("too")));

        // Subscribing while Up adds to the live subscription.
        QSignalSpy more(&subscriber, &RedisConnection::subscribed);
        subscriber.subscribe({"late"}, collect);
        QVERIFY(more.wait(kTimeoutMs));
        QCOMPARE(run(*publisher, {"PUBLISH", "late", "joined"}).value_or(RedisReply()).toInteger(),
                 1);
        QVERIFY(QTest::qWaitFor([&] { return received.size() == 5; }, kTimeoutMs));
    }

    void destroyedWithCommandsInFlight()
    {
        int called = 0;
        {
            auto redis = connectTo(m_server.url());
            QVERIFY(waitForState(*redis, State::Up));
            for (int i = 0; i < 1000; ++i)
                redis->command({"SET", "k" + QByteArray::number(i), "v"},
                               [&](const RedisReply &) { ++called; });
        }
        // Let any stray callback or socket event run: it must neither crash nor call back.
        auto probe = connectTo(m_server.url());
        QVERIFY(run(*probe, {"PING"}));
        QCOMPARE(called, 0);
    }

    void destroyedFromItsOwnCallback()
    {
        auto *redis = new RedisConnection(m_server.url());
        redis->open();
        QVERIFY(waitForState(*redis, State::Up));
        int called = 0;
        for (int i = 0; i < 100; ++i) {
            redis->command({"PING"}, [&called, &redis](const RedisReply &) {
                if (++called == 10) {
                    delete redis;
                    redis = nullptr;
                }
            });
        }
        QVERIFY(QTest::qWaitFor([&] { return redis == nullptr; }, kTimeoutMs));
        auto probe = connectTo(m_server.url());
        QVERIFY(run(*probe, {"PING"}));
        QCOMPARE(called, 10);
    }

    void destroyedWhileConnecting()
    {
        for (int i = 0; i < 20; ++i) {
            RedisConnection redis(m_server.url());
            redis.open();
            redis.command({"PING"});
        }
        auto probe = connectTo(m_server.url());
        QVERIFY(run(*probe, {"PING"}));
    }
};

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redis_connection.moc"
