// The Redis engine against a real redis-server: two in-process nodes, redis-cli as the
// third-party writer of the seed's contract, notifications switched off, Redis restarted.
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "TimingBounds.h"
#include "engine/Clock.h"
#include "engine/LocalClients.h"
#include "model/RoomOccupancy.h"
#include "redis/RedisPresenceEngine.h"
#include "redis/StreamEntries.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <algorithm>

using namespace presence;
using presence::test::RedisTestServer;
using presence::test::connectionsOf;
using presence::test::markNodeAlive;
using presence::test::runCommand;

namespace {
constexpr qint64 heartbeatMs = 200;
constexpr double ttlFactor = 1.5; // ttl 300 ms
constexpr qint64 ttlMs = 300;

ClientId id(const char *text)
{
    return *ClientId::fromString(QString::fromLatin1(text));
}
RoomMember member(const char *room, const char *client)
{
    return {*RoomName::fromString(QString::fromLatin1(room)), id(client)};
}
// "client STATUS reason", or "room/client STATUS reason" outside the default room.
QString line(const PresenceEvent &e)
{
    return e.member().storeKey() + QLatin1Char(' ') + statusText(e.status) + QLatin1Char(' ') +
           e.reason;
}

// One node: an engine, its local clients, and every event it reported with when it came.
struct Node {
    SystemClock clock;
    RedisPresenceEngine engine;
    LocalClients local;
    QList<QPair<qint64, PresenceEvent>> events;
    QElapsedTimer sinceStart;

    Node(const RedisUrl &url, const QString &name, int heartbeatEntryMembers = heartbeatMembersPerEntry)
        : engine(url, config(name, heartbeatEntryMembers))
        , local(engine, clock)
    {
        sinceStart.start();
        QObject::connect(&engine, &PresenceEngine::presenceChanged, &engine,
                         [this](const PresenceEvent &e) {
                             events.append({sinceStart.elapsed(), e});
                         });
        engine.start();
        local.start();
    }
    static RedisPresenceEngine::Config config(const QString &name, int heartbeatEntryMembers)
    {
        RedisPresenceEngine::Config c;
        c.nodeId = name;
        c.heartbeatEntryMembers = heartbeatEntryMembers;
        c.timing = PresenceTiming{heartbeatMs, ttlFactor, 0};
        c.sweepIntervalMs = 50;
        return c;
    }
    QStringList seen() const
    {
        QStringList lines;
        for (const auto &[at, e] : events)
            lines.append(line(e));
        return lines;
    }
    bool saw(const QString &line, int timeoutMs = 5000) const
    {
        return QTest::qWaitFor([&] { return seen().contains(line); }, timeoutMs);
    }
    // When (ms since start) the node first reported `line`, or -1.
    qint64 when(const QString &wanted) const
    {
        for (const auto &[at, e] : events) {
            if (line(e) == wanted)
                return at;
        }
        return -1;
    }
};
} // namespace

class TestRedisEngine : public QObject {
    Q_OBJECT

    RedisTestServer m_server;
    std::unique_ptr<RedisConnection> m_redis;

    RedisReply run(const QList<QByteArray> &argv) { return runCommand(*m_redis, argv); }

    QByteArray redisCli(const QStringList &args)
    {
        QProcess cli;
        cli.start(QStringLiteral("redis-cli"),
                  QStringList{QStringLiteral("-p"), QString::number(m_server.port())} + args);
        if (!cli.waitForFinished(5000))
            return "redis-cli did not finish";
        return cli.readAllStandardOutput().trimmed();
    }

    QStringList streamTransitions() { return presence::test::streamTransitions(*m_redis); }

    std::unique_ptr<Node> startNode(const QString &name, int heartbeatEntryMembers = heartbeatMembersPerEntry)
    {
        auto node = std::make_unique<Node>(m_server.url(), name, heartbeatEntryMembers);
        if (!QTest::qWaitFor([&] { return node->engine.isReady(); }, 10000))
            qWarning() << "node" << name << "not ready:" << node->engine.health().detail;
        return node;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        m_redis = std::make_unique<RedisConnection>(m_server.url());
        m_redis->open();
        QVERIFY(presence::test::waitUntilUp(*m_redis));
    }
    void init() { QVERIFY(run({"FLUSHALL"}).isOk()); }

    void heartbeatWrittenByRedisCli_onlineThenTimeout()
    {
        auto node = startNode(QStringLiteral("n1"));
        QVERIFY(node->engine.isReady());
        const qint64 written = node->sinceStart.elapsed();
        QVERIFY(!redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                           QStringLiteral("client"), QStringLiteral("bob")})
                     .isEmpty());
        QVERIFY(node->saw(QStringLiteral("bob ONLINE heartbeat")));
        QVERIFY(node->saw(QStringLiteral("bob OFFLINE timeout")));
        const qint64 late = node->when(QStringLiteral("bob OFFLINE timeout")) - written - ttlMs;
        qInfo() << "OFFLINE came" << late << "ms after the TTL deadline";
        QVERIFY2(late <= presence::test::offlineLatenessBoundMs,
                 QByteArray::number(late).constData());
        QCOMPARE(streamTransitions(), (QStringList{QStringLiteral("bob ONLINE heartbeat"),
                                                   QStringLiteral("bob OFFLINE timeout")}));
    }

    void presenceWrittenByRedisCli_reachesTheNode()
    {
        auto node = startNode(QStringLiteral("n1"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("presence"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("carol"), QStringLiteral("status"),
                  QStringLiteral("ONLINE")});
        QVERIFY(node->saw(QStringLiteral("carol ONLINE ")));
        // Junk from another writer is skipped; what follows still arrives.
        redisCli({QStringLiteral("XADD"), QStringLiteral("presence"), QStringLiteral("*"),
                  QStringLiteral("status"), QStringLiteral("ONLINE")});
        redisCli({QStringLiteral("XADD"), QStringLiteral("presence"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("carol"), QStringLiteral("status"),
                  QStringLiteral("OFFLINE"), QStringLiteral("reason"), QStringLiteral("kicked")});
        QVERIFY(node->saw(QStringLiteral("carol OFFLINE kicked")));
        const auto rows = node->engine.snapshot();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].status, PresenceStatus::Offline);
    }

    void aClientOnTwoNodesStaysOnlineUntilBothAreGone()
    {
        auto a = startNode(QStringLiteral("a"));
        auto b = startNode(QStringLiteral("b"));
        a->local.open(id("alice"));
        QVERIFY(b->saw(QStringLiteral("alice ONLINE connected")));
        b->local.open(id("alice"));
        QTRY_COMPARE(connectionsOf(*m_redis, "alice").size(), 2);
        a->local.close(id("alice"));  // grace 0: leaves node a at once
        QTest::qWait(3 * int(ttlMs)); // long enough for a wrong OFFLINE to show up
        QCOMPARE(a->seen(), QStringList{QStringLiteral("alice ONLINE connected")});
        b->local.close(id("alice"));
        QVERIFY(a->saw(QStringLiteral("alice OFFLINE left")));
        QVERIFY(b->saw(QStringLiteral("alice OFFLINE left")));
        QCOMPARE(streamTransitions(), (QStringList{QStringLiteral("alice ONLINE connected"),
                                                   QStringLiteral("alice OFFLINE left")}));
        QCOMPARE(a->events.size(), 2);
        QCOMPARE(b->events.size(), 2);
    }

    void junkHeartbeatsAreAcknowledgedAndCounted()
    {
        auto node = startNode(QStringLiteral("n1"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("user"), QStringLiteral("bob")});
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("not valid")});
        run({"XADD", "heartbeat", "*", "client", QByteArray("\xff\x00\xfe", 3)});
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("dave")});
        QVERIFY(node->saw(QStringLiteral("dave ONLINE heartbeat")));
        QTRY_COMPARE(node->engine.processor().stats().junk, quint64(3));
        // Nothing left pending: junk is acknowledged, not retried forever.
        QTRY_COMPARE(
            run({"XPENDING", "heartbeat", "presence-processors"}).elements().value(0).toInteger(),
            0);
    }

    // Our nodes write one entry for many members; the seed's one-client entries still count,
    // and junk inside a many-member entry costs only the junk.
    void manyMemberAndSeedEntriesBothWork_junkMembersAreLeftOut()
    {
        auto node = startNode(QStringLiteral("n1"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("bob")});
        run({"XADD", "heartbeat", "*", "members",
             "carol lobby/dave no%pe a/b/c " + QByteArray("\xff\xfe") + " erin", "node", "n9",
             "ttl", "4000"});
        run({"XADD", "heartbeat", "*", "members", " bad%one ", "node", "n9"});
        for (const char *seen : {"bob ONLINE heartbeat", "carol ONLINE heartbeat",
                                 "lobby/dave ONLINE heartbeat", "erin ONLINE heartbeat"})
            QVERIFY2(node->saw(QString::fromLatin1(seen)), seen);
        QTRY_COMPARE(node->engine.processor().stats().skippedMembers, quint64(4)); // bad%one too
        QTRY_COMPARE(node->engine.processor().stats().junk, quint64(1));
        QTRY_COMPARE(
            run({"XPENDING", "heartbeat", "presence-processors"}).elements().value(0).toInteger(),
            0);
        // The entry's TTL holds its members; bob (ours: 300 ms) times out.
        QVERIFY(node->saw(QStringLiteral("bob OFFLINE timeout")));
        QCOMPARE(run({"HGET", "presence:status", "carol"}).toByteArray(), QByteArray("ONLINE"));

        // What the node itself writes: one entry for all its members.
        node->local.open(id("fay"));
        node->local.open(id("gus"));
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const StreamEntry &e : parseStreamEntries(run({"XRANGE", "heartbeat", "-", "+"}))) {
                    if (e.value("members") == "fay gus" || e.value("members") == "gus fay")
                        return e.value("conns") == "1 1" && e.value("client").isNull();
                }
                return false;
            },
            3000));
    }

    // --heartbeat-entry-members 1: the seed's one-client entries, for processors before v7
    // in a deployment being upgraded; still read by ours.
    void oneMemberEntriesForOlderProcessors()
    {
        auto node = startNode(QStringLiteral("n1"), 1);
        node->local.open(id("hal"));
        node->local.open(RoomMember{*RoomName::fromString(QStringLiteral("lobby")), id("ida")});
        QVERIFY(node->saw(QStringLiteral("hal ONLINE connected")));
        QVERIFY(QTest::qWaitFor(
            [&] {
                bool hal = false;
                bool ida = false;
                for (const StreamEntry &e : parseStreamEntries(run({"XRANGE", "heartbeat", "-", "+"}))) {
                    if (!e.value("members").isNull())
                        return false; // never a many-member entry
                    hal = hal || (e.value("client") == "hal" && e.value("room").isNull() && e.value("conns") == "1");
                    ida = ida || (e.value("client") == "ida" && e.value("room") == "lobby");
                }
                return hal && ida;
            },
            3000));
        // Still renewed by the processors: no timeout after several TTLs.
        QTest::qWait(int(3 * heartbeatMs * ttlFactor));
        QVERIFY(!node->seen().contains(QStringLiteral("hal OFFLINE timeout")));
        QCOMPARE(run({"HGET", "presence:status", "hal"}).toByteArray(), QByteArray("ONLINE"));
    }

    void entriesLeftPendingByACrashedProcessorAreClaimed()
    {
        // A processor on another node read these and died before acknowledging them.
        QVERIFY(
            run({"XGROUP", "CREATE", "heartbeat", "presence-processors", "$", "MKSTREAM"}).isOk());
        for (int i = 0; i < 5; ++i)
            run({"XADD", "heartbeat", "*", "client", "pending" + QByteArray::number(i)});
        const RedisReply stolen = run({"XREADGROUP", "GROUP", "presence-processors", "dead-node",
                                       "COUNT", "100", "STREAMS", "heartbeat", ">"});
        QVERIFY2(!stolen.isError() && !stolen.isNil(), stolen.toDebugString().constData());
        QCOMPARE(
            run({"XPENDING", "heartbeat", "presence-processors"}).elements().value(0).toInteger(),
            5);
        auto node = startNode(QStringLiteral("n1"));
        // The live node claims them once idle long enough, and acknowledges them.
        QTRY_COMPARE_WITH_TIMEOUT(
            run({"XPENDING", "heartbeat", "presence-processors"}).elements().value(0).toInteger(),
            0, 10000);
        QVERIFY(node->engine.processor().stats().claimed >= 5);
    }

    void heartbeatStreamIsKeptByTime()
    {
        auto node = startNode(QStringLiteral("n1"));
        // 1,200 members: three entries a round (500, 500, 200 members).
        QList<RoomMember> many;
        for (int i = 0; i < 1200; ++i)
            many.append(*ClientId::fromString(QStringLiteral("hb%1").arg(i)));
        constexpr qint64 perRound = 3;
        for (int round = 0; round < 20; ++round)
            node->engine.heartbeat(many);
        QTRY_COMPARE_WITH_TIMEOUT(node->engine.commands().inFlightCount(), qsizetype(0), 30000);
        QVERIFY(run({"XLEN", "heartbeat"}).toInteger() >= 20 * perRound);
        // Each entry says its writer's TTL and connections (none held here).
        const QList<StreamEntry> last =
            parseStreamEntries(run({"XREVRANGE", "heartbeat", "+", "-", "COUNT", "1"}));
        QCOMPARE(last.value(0).value("ttl"), QByteArray::number(ttlMs));
        QCOMPARE(last.value(0).value("members").count(' ') + 1, 200);
        QCOMPARE(last.value(0).value("conns"), QByteArray("0 ").repeated(199) + "0");
        // Retention is the TTL + a 2 s margin: past that, the next heartbeats trim the old ones
        // (MINID ~ trims whole stream nodes of 100 entries).
        QTest::qWait(int(ttlMs) + 2000 + 200);
        node->engine.heartbeat(many);
        QTRY_COMPARE_WITH_TIMEOUT(node->engine.commands().inFlightCount(), qsizetype(0), 30000);
        const qint64 length = run({"XLEN", "heartbeat"}).toInteger();
        QVERIFY2(length >= perRound && length <= perRound + 100, QByteArray::number(length).constData());
    }

    void eachHeartbeatLastsTheTtlItsWriterMeant()
    {
        // This node's own TTL is 300 ms; a heartbeat that says 2,500 ms lasts 2,500 ms.
        auto node = startNode(QStringLiteral("n1"));
        const qint64 written = node->sinceStart.elapsed();
        QVERIFY(!redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                           QStringLiteral("client"), QStringLiteral("slow"), QStringLiteral("ttl"),
                           QStringLiteral("2500")})
                     .isEmpty());
        QVERIFY(node->saw(QStringLiteral("slow ONLINE heartbeat")));
        QTest::qWait(1000);
        QVERIFY2(!node->seen().contains(QStringLiteral("slow OFFLINE timeout")),
                 "timed out by the processor's own TTL, not the heartbeat's");
        QVERIFY(node->saw(QStringLiteral("slow OFFLINE timeout"), 5000));
        const qint64 at = node->when(QStringLiteral("slow OFFLINE timeout")) - written;
        QVERIFY2(at >= 2500 - 100 && at <= 2500 + presence::test::offlineLatenessBoundMs,
                 QByteArray::number(at).constData());
        // Junk in the field is no TTL at all: the processor's own applies.
        QVERIFY(!redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                           QStringLiteral("client"), QStringLiteral("junkttl"),
                           QStringLiteral("ttl"), QStringLiteral("forever")})
                     .isEmpty());
        QVERIFY(node->saw(QStringLiteral("junkttl OFFLINE timeout"), 2000));
    }

    void aGapInThePresenceStreamIsHealedByAResync()
    {
        auto node = startNode(QStringLiteral("n1"));
        QSignalSpy resets(&node->engine, &PresenceEngine::rosterReset);
        QVERIFY(markNodeAlive(*m_redis, "n0", 60000));
        QVERIFY(
            !run({"FCALL", "presence_connect", "0", "", "1000", "100", "60000", "n0", "erin", "1"})
                 .isError());
        QVERIFY(node->saw(QStringLiteral("erin ONLINE connected")));
        // While the node is away, writes it never hears of: dave ONLINE, erin OFFLINE (as after
        // a failover to a replica that had other writes), and the stream trimmed past the
        // node's position.
        QVERIFY(!run({"HSET", "presence:status", "dave", "ONLINE", "erin", "OFFLINE"}).isError());
        QVERIFY(!run({"ZREM", "presence:deadlines", "erin"}).isError());
        const QByteArray past =
            QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 1000) + "-0";
        QVERIFY2(run({"XSETID", "presence", past, "MAXDELETEDID", past}).isOk(), "XSETID");
        QByteArray killed;
        for (const QByteArray &client : run({"CLIENT", "LIST"}).toByteArray().split('\n')) {
            if (client.contains("name=presence:commands:n1 ")) {
                killed = client.mid(3, client.indexOf(' ') - 3); // "id=<n> …"
                QCOMPARE(run({"CLIENT", "KILL", "ID", killed}).toInteger(), 1);
            }
        }
        QVERIFY(!killed.isEmpty());
        QVERIFY(node->saw(QStringLiteral("dave ONLINE resync")));
        QVERIFY(node->saw(QStringLiteral("erin OFFLINE resync")));
        QTRY_VERIFY(resets.size() >= 1);
        QCOMPARE(node->engine.resyncs(), quint64(1));
        const auto rows = node->engine.snapshot();
        const auto erin = std::find_if(rows.cbegin(), rows.cend(), [](const ClientPresence &r) {
            return r.client.toString() == u"erin";
        });
        QVERIFY(erin != rows.cend());
        QCOMPARE(erin->status, PresenceStatus::Offline);
    }

    void offlineWithinTtlWithNotificationsSwitchedOff()
    {
        auto node = startNode(QStringLiteral("n1"));
        QTRY_VERIFY(node->engine.keyspace().configState() ==
                    KeyspaceListener::ConfigState::Enabled);
        QVERIFY(run({"CONFIG", "SET", "notify-keyspace-events", ""}).isOk());
        node->local.open(id("erin"));
        QVERIFY(node->saw(QStringLiteral("erin ONLINE connected")));
        QTest::qWait(int(2 * heartbeatMs)); // a few heartbeats go through
        node->local.setHeartbeatsPaused(true);
        const qint64 paused = node->sinceStart.elapsed();
        QVERIFY(node->saw(QStringLiteral("erin OFFLINE timeout")));
        // The last heartbeat went out at most one period before the pause.
        const qint64 late = node->when(QStringLiteral("erin OFFLINE timeout")) - paused - ttlMs;
        qInfo() << "without notifications, OFFLINE came at most" << late << "ms after the deadline";
        QVERIFY2(late <= presence::test::offlineLatenessBoundMs,
                 QByteArray::number(late).constData());
        QCOMPARE(node->engine.keyspace().expiredEventsHeard(), quint64(0));
        node->local.setHeartbeatsPaused(false);
        QVERIFY(node->saw(QStringLiteral("erin ONLINE heartbeat")));
    }

    void historyResumesFromTheStream()
    {
        auto node = startNode(QStringLiteral("n1"));
        node->local.open(id("f1"));
        QVERIFY(node->saw(QStringLiteral("f1 ONLINE connected")));
        const EventId after = node->engine.lastEventId();
        node->local.open(id("f2"));
        node->local.close(id("f2"));
        QVERIFY(node->saw(QStringLiteral("f2 OFFLINE left")));
        std::optional<PresenceEngine::History> history;
        node->engine.history(after, [&](PresenceEngine::History h) { history = std::move(h); });
        QTRY_VERIFY(history.has_value());
        QVERIFY(history->complete);
        QCOMPARE(history->events.size(), 2);
        QCOMPARE(history->events[0].client, id("f2"));
        QVERIFY(history->events[0].id > after);

        history.reset();
        node->engine.history(EventId{node->engine.lastEventId().ms + 100000, 0},
                             [&](PresenceEngine::History h) { history = std::move(h); });
        QTRY_VERIFY(history.has_value());
        QVERIFY(!history->complete);
    }

    void everyNodeReadsTheSameRoster()
    {
        auto a = startNode(QStringLiteral("a"));
        auto b = startNode(QStringLiteral("b"));
        a->local.open(id("g1"));
        b->local.open(id("g2"));
        b->local.open(id("g2"));
        QVERIFY(a->saw(QStringLiteral("g2 ONLINE connected")));
        QTRY_COMPARE(connectionsOf(*m_redis, "g2").value(u"b").toInt(), 2);
        std::optional<QList<ClientPresence>> fromA, fromB;
        a->engine.readRoster([&](QList<ClientPresence> rows) { fromA = rows; });
        b->engine.readRoster([&](QList<ClientPresence> rows) { fromB = rows; });
        QTRY_VERIFY(fromA && fromB);
        QCOMPARE(fromA->size(), 2);
        QCOMPARE(fromA->at(1).client, id("g2"));
        QCOMPARE(fromA->at(1).connections, 2);
        QCOMPARE(fromA->at(1).nodes, QStringList{QStringLiteral("b")});
        QVERIFY(fromA->at(1).deadlineMs > 0);
        QCOMPARE(fromB->at(1).connections, fromA->at(1).connections);
        QCOMPARE(fromB->at(0).client, fromA->at(0).client);
    }

    void redisRestartConverges()
    {
        auto node = startNode(QStringLiteral("n1"));
        node->local.open(id("stays"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("ghost")});
        QVERIFY(node->saw(QStringLiteral("stays ONLINE connected")));
        QVERIFY(node->saw(QStringLiteral("ghost ONLINE heartbeat")));
        node->local.setHeartbeatsPaused(false);

        // A restart without persistence: Redis forgets everything.
        QVERIFY2(m_server.restart(), qPrintable(m_server.errorString()));
        QVERIFY(QTest::qWaitFor([&] { return !node->engine.isReady(); }, 5000) ||
                node->engine.isReady());
        QVERIFY(QTest::qWaitFor([&] { return node->engine.isReady(); }, 15000));
        QVERIFY(presence::test::waitUntilUp(*m_redis));

        // The ghost (nobody heartbeats it) times out once; the connected client never flaps.
        QVERIFY(node->saw(QStringLiteral("ghost OFFLINE timeout"), 10000));
        QTest::qWait(int(3 * ttlMs));
        QCOMPARE(node->seen().count(QStringLiteral("stays ONLINE connected")), 1);
        QVERIFY(!node->seen().join(QLatin1Char(',')).contains(QStringLiteral("stays OFFLINE")));
        QCOMPARE(run({"HGET", "presence:status", "stays"}).toByteArray(), QByteArray("ONLINE"));
        QCOMPARE(streamTransitions().count(QStringLiteral("ghost OFFLINE timeout")), 1);
    }

    // Rooms (issue 5) --------------------------------------------------------------------

    void roomsAreSeparateMembers_exactlyOncePerRoomAcrossNodes()
    {
        auto a = startNode(QStringLiteral("a"));
        auto b = startNode(QStringLiteral("b"));
        a->local.open(member("lobby", "bob"));
        b->local.open(member("lobby", "bob"));
        a->local.open(member("r2", "bob"));
        a->local.open(id("bob")); // the default room: the seed's plain entries
        QVERIFY(b->saw(QStringLiteral("r2/bob ONLINE connected")));
        QVERIFY(b->saw(QStringLiteral("bob ONLINE connected")));
        // b still holds bob in the lobby: a's leave is no transition; b's is, once.
        a->local.close(member("lobby", "bob"));
        b->local.close(member("lobby", "bob"));
        QVERIFY(a->saw(QStringLiteral("lobby/bob OFFLINE left")));
        QVERIFY(b->saw(QStringLiteral("lobby/bob OFFLINE left")));
        QTest::qWait(int(2 * ttlMs)); // heartbeats keep bob ONLINE in r2 and the default room
        QCOMPARE(streamTransitions(), (QStringList{QStringLiteral("lobby/bob ONLINE connected"),
                                                   QStringLiteral("r2/bob ONLINE connected"),
                                                   QStringLiteral("bob ONLINE connected"),
                                                   QStringLiteral("lobby/bob OFFLINE left")}));
        QCOMPARE(a->events.size(), 4);
        QCOMPARE(b->events.size(), 4);
        QCOMPARE(run({"HGET", "presence:status", "r2/bob"}).toByteArray(), QByteArray("ONLINE"));
        // The default room's entry has no room field at all.
        const auto entries = parseStreamEntries(run({"XRANGE", "presence", "-", "+"}));
        QVERIFY(entries.value(2).value("room").isNull());
        QCOMPARE(entries.value(1).value("room"), QByteArray("r2"));
        QCOMPARE(entries.value(1).value("client"), QByteArray("bob"));
    }

    void heartbeatWithARoomFromRedisCli_onlineInThatRoomOnly()
    {
        auto node = startNode(QStringLiteral("n1"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("bob"), QStringLiteral("room"),
                  QStringLiteral("lobby")});
        QVERIFY(node->saw(QStringLiteral("lobby/bob ONLINE heartbeat")));
        QVERIFY(node->saw(QStringLiteral("lobby/bob OFFLINE timeout")));
        QVERIFY(run({"HGET", "presence:status", "bob"}).isNil());
        QCOMPARE(streamTransitions(), (QStringList{QStringLiteral("lobby/bob ONLINE heartbeat"),
                                                   QStringLiteral("lobby/bob OFFLINE timeout")}));
        // A room that breaks the rule is junk: acknowledged, counted, no transition.
        redisCli({QStringLiteral("XADD"), QStringLiteral("heartbeat"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("bob"), QStringLiteral("room"),
                  QStringLiteral("a/b")});
        QTRY_COMPARE(node->engine.processor().stats().junk, quint64(1));
        QCOMPARE(node->events.size(), 2);
    }

    void presenceEntryWithARoomFromAnotherProgram_reachesThatRoom()
    {
        auto node = startNode(QStringLiteral("n1"));
        redisCli({QStringLiteral("XADD"), QStringLiteral("presence"), QStringLiteral("*"),
                  QStringLiteral("client"), QStringLiteral("zed"), QStringLiteral("status"),
                  QStringLiteral("ONLINE"), QStringLiteral("room"), QStringLiteral("lobby")});
        QVERIFY(node->saw(QStringLiteral("lobby/zed ONLINE ")));
        const RoomName lobby = *RoomName::fromString(u"lobby");
        QCOMPARE(node->engine.roomSnapshot(lobby).size(), 1);
        QVERIFY(node->engine.roomSnapshot(RoomName{}).isEmpty());
    }

    void sharedRosterCountsEveryNodesRooms()
    {
        auto a = startNode(QStringLiteral("a"));
        auto b = startNode(QStringLiteral("b"));
        for (const char *c : {"c1", "c2", "c3"})
            a->local.open(member("big", c));
        b->local.open(member("big", "c4"));
        b->local.open(member("small", "c1"));
        QVERIFY(a->saw(QStringLiteral("small/c1 ONLINE connected")));
        QVERIFY(a->saw(QStringLiteral("big/c4 ONLINE connected")));
        std::optional<QList<ClientPresence>> rows;
        a->engine.readRoster([&](QList<ClientPresence> read) { rows = read; });
        QTRY_VERIFY(rows.has_value());
        const QList<RoomOccupancy> rooms = occupancyOf(*rows);
        QCOMPARE(rooms.value(0).room, *RoomName::fromString(u"big"));
        QCOMPARE(rooms.value(0).online, 4);
        QCOMPARE(rooms.value(1).room, *RoomName::fromString(u"small"));
        QCOMPARE(rooms.value(1).online, 1);
    }
};

QTEST_GUILESS_MAIN(TestRedisEngine)
#include "tst_redis_engine.moc"
