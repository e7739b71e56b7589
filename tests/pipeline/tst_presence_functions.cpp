// The Redis Functions library (resources/redis/presence.lua) against a real redis-server:
// every transition exactly once, whoever asks and however often.
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "redis/PresenceLibrary.h"
#include "redis/StreamEntries.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace presence;
using presence::test::RedisTestServer;
using presence::test::runCommand;

class TestPresenceFunctions : public QObject {
    Q_OBJECT

    RedisTestServer m_server;
    std::unique_ptr<RedisConnection> m_redis;

    RedisReply run(const QList<QByteArray> &argv) { return runCommand(*m_redis, argv); }

    qint64 redisNowMs()
    {
        const RedisReply time = run({"TIME"});
        return time.elements().value(0).toInteger() * 1000 +
               time.elements().value(1).toInteger() / 1000;
    }

    QStringList transitions() { return presence::test::streamTransitions(*m_redis); }

    RedisReply connect(const char *node, const char *client, int count, qint64 ttl = 1000)
    {
        return run({"FCALL", "presence_connect", "0", "", "1000", "100", QByteArray::number(ttl),
                    node, client, QByteArray::number(count)});
    }
    RedisReply leave(const char *node, const char *client)
    {
        return run({"FCALL", "presence_leave", "0", "", "1000", "100", node, client});
    }
    RedisReply sweep()
    {
        return run({"FCALL", "presence_sweep", "0", "", "1000", "100", "sweeper", "1000"});
    }
    // Issues the commands pipelined and waits for every reply (QTest::qWaitFor polls every
    // 10 ms, so one round trip at a time would make bulk tests crawl).
    void runAll(const QList<QList<QByteArray>> &commands)
    {
        int answered = 0;
        for (const auto &argv : commands)
            m_redis->command(argv, [&answered](const RedisReply &) { ++answered; });
        QVERIFY(QTest::qWaitFor([&] { return answered == commands.size(); }, 20000));
    }
    QList<QByteArray> connectArgs(const QByteArray &client)
    {
        return {"FCALL", "presence_connect", "0", "", "1000", "100", "1000", "n1", client, "1"};
    }
    QList<QByteArray> leaveArgs(const QByteArray &client)
    {
        return {"FCALL", "presence_leave", "0", "", "1000", "100", "n1", client};
    }
    // Decisions go by the node index (presence_alive writes it), not by the node's own key.
    void nodeAlive(const char *node)
    {
        run({"ZADD", "presence:nodes", QByteArray::number(redisNowMs() + 60000), node});
    }
    // node -> connections, from the member's field of presence:conns (library v8).
    QJsonObject connsOf(const QByteArray &member)
    {
        return QJsonDocument::fromJson(run({"HGET", "presence:conns", member}).toByteArray()).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        m_redis = std::make_unique<RedisConnection>(m_server.url());
        m_redis->open();
        QVERIFY(presence::test::waitUntilUp(*m_redis));
    }

    void init()
    {
        QVERIFY(run({"FLUSHALL"}).isOk());
        std::optional<bool> loaded;
        PresenceLibrary::load(*m_redis, [&](bool ok, const QString &message) {
            QVERIFY2(ok, qPrintable(message));
            loaded = ok;
        });
        QTRY_VERIFY(loaded.has_value());
        QVERIFY(*loaded);
    }

    void loadsAndReportsItsVersion()
    {
        QCOMPARE(run({"FCALL", "presence_version", "0"}).toInteger(), PresenceLibrary::version());
        QVERIFY(PresenceLibrary::version() >= 1);
    }

    void keepsANewerLibrary()
    {
        // A newer node loaded v999 (rolling upgrade): this build must not downgrade it.
        QByteArray newer = PresenceLibrary::source();
        newer.replace("local VERSION = " + QByteArray::number(PresenceLibrary::version()),
                      "local VERSION = 999");
        QVERIFY(run({"FUNCTION", "LOAD", "REPLACE", newer}).isString());
        std::optional<QString> said;
        PresenceLibrary::load(*m_redis, [&](bool ok, const QString &message) {
            QVERIFY(ok);
            said = message;
        });
        QTRY_VERIFY(said.has_value());
        QVERIFY2(said->contains(QStringLiteral("newer")), qPrintable(*said));
        QCOMPARE(run({"FCALL", "presence_version", "0"}).toInteger(), 999);
    }

    void connectIsOnlineOnce_acrossNodes()
    {
        nodeAlive("n1");
        nodeAlive("n2");
        QCOMPARE(connect("n1", "alice", 1).toInteger(), 1);
        QCOMPARE(connect("n1", "alice", 2).toInteger(), 0);
        QCOMPARE(connect("n2", "alice", 1).toInteger(), 0);
        QCOMPARE(transitions(), QStringList{QStringLiteral("alice ONLINE connected")});
        QCOMPARE(run({"HGET", "presence:status", "alice"}).toByteArray(), QByteArray("ONLINE"));
    }

    void leaveWaitsForEveryLiveNode()
    {
        nodeAlive("n1");
        nodeAlive("n2");
        connect("n1", "alice", 1);
        connect("n2", "alice", 1);
        QCOMPARE(leave("n1", "alice").toInteger(), 0); // still on n2
        QCOMPARE(leave("n2", "alice").toInteger(), 1);
        QCOMPARE(leave("n2", "alice").toInteger(), 0); // twice: nothing more
        QCOMPARE(transitions(), (QStringList{QStringLiteral("alice ONLINE connected"),
                                             QStringLiteral("alice OFFLINE left")}));
    }

    void aDeadNodesConnectionsDoNotHoldAClient()
    {
        nodeAlive("n1");
        connect("n1", "alice", 1);
        connect("crashed", "alice", 1); // no presence:node:crashed key: that node is gone
        QCOMPARE(leave("n1", "alice").toInteger(), 1);
    }

    void heartbeatsAreOnlineOnce_andStaleOnesChangeNothing()
    {
        const qint64 now = redisNowMs();
        const QByteArray fresh = QByteArray::number(now);
        const QByteArray stale = QByteArray::number(now - 5000);
        QCOMPARE(run({"FCALL", "presence_heartbeat", "0", "", "1000", "100", "1000", "bob", fresh,
                      "n1", "bob", fresh, "n2", "zombie", stale, "n1"})
                     .toInteger(),
                 1);
        QCOMPARE(transitions(), QStringList{QStringLiteral("bob ONLINE heartbeat")});
        QVERIFY(run({"HGET", "presence:status", "zombie"}).isNil());
        // An older heartbeat processed after a newer one never shortens the deadline.
        const qint64 deadline = run({"ZSCORE", "presence:deadlines", "bob"}).toInteger();
        run({"FCALL", "presence_heartbeat", "0", "", "1000", "100", "1000", "bob",
             QByteArray::number(now - 500), "n1"});
        QCOMPARE(run({"ZSCORE", "presence:deadlines", "bob"}).toInteger(), deadline);
        QVERIFY(run({"PTTL", "presence:alive:bob"}).toInteger() > 0);
    }

    void aHeartbeatSentBeforeTheLeaveDoesNotReviveTheClient()
    {
        // The node heartbeats bob, then bob leaves; the processor handles the heartbeat after.
        QCOMPARE(connect("n1", "bob", 1).toInteger(), 1);
        nodeAlive("n1");
        const QByteArray before = QByteArray::number(redisNowMs() - 1);
        QCOMPARE(leave("n1", "bob").toInteger(), 1);
        QCOMPARE(run({"FCALL", "presence_heartbeat", "0", "", "1000", "100", "1000", "bob", before,
                      "n1"})
                     .toInteger(),
                 0);
        QCOMPARE(run({"HGET", "presence:status", "bob"}).toByteArray(), QByteArray("OFFLINE"));
        // One written after the leave (bob came back, or redis-cli) counts as before.
        QTRY_VERIFY(redisNowMs() > before.toLongLong() + 2);
        const QByteArray after = QByteArray::number(redisNowMs());
        QCOMPARE(
            run({"FCALL", "presence_heartbeat", "0", "", "1000", "100", "1000", "bob", after, "n1"})
                .toInteger(),
            1);
        QCOMPARE(transitions(), (QStringList{QStringLiteral("bob ONLINE connected"),
                                             QStringLiteral("bob OFFLINE left"),
                                             QStringLiteral("bob ONLINE heartbeat")}));
    }

    void sweepTimesOutOnce_evenWithoutNotifications()
    {
        nodeAlive("n1");
        connect("n1", "alice", 1, 100);
        connect("n1", "bob", 1, 60000);
        const RedisReply early = sweep();
        QCOMPARE(early.elements().value(0).toInteger(), 0);
        QVERIFY(early.elements().value(1).toInteger() <= 100); // next deadline, in ms
        qint64 swept = 0; // QTRY re-evaluates its expression: count, don't compare a call
        QTRY_VERIFY_WITH_TIMEOUT((swept += sweep().elements().value(0).toInteger()) > 0, 2000);
        QCOMPARE(swept, 1);
        QCOMPARE(sweep().elements().value(0).toInteger(), 0);
        QCOMPARE(transitions().last(), QStringLiteral("alice OFFLINE timeout"));
        // The expired-event path finds nothing more to do.
        QCOMPARE(
            run({"FCALL", "presence_expire", "0", "", "1000", "100", "n1", "alice"}).toInteger(),
            0);
        QCOMPARE(transitions().size(), 3);
    }

    // A sweep or timeout that runs after its "not after" time (a call a hung Redis held past
    // the node's reply deadline, run on resume) times nobody out; one in time does.
    void aStaleSweepOrTimeoutDoesNothing()
    {
        nodeAlive("n1");
        connect("n1", "alice", 1, 1);
        connect("n1", "bob", 1, 1);
        const qint64 connectedAt = redisNowMs();
        QTRY_VERIFY_WITH_TIMEOUT(redisNowMs() > connectedAt + 2, 2000); // both deadlines passed
        const QByteArray past = QByteArray::number(redisNowMs() - 1);
        const QByteArray future = QByteArray::number(redisNowMs() + 60000);
        const RedisReply staleSweep =
            run({"FCALL", "presence_sweep", "0", "", "1000", "100", "n1", "1000", "0", past});
        QCOMPARE(staleSweep.elements().value(0).toInteger(), 0);
        QCOMPARE(staleSweep.elements().value(1).toInteger(), 0); // sweep again at once
        QCOMPARE(run({"FCALL", "presence_timeout", "0", "", "1000", "100", "n1", "0", "#not-after",
                      past, "alice", "bob"})
                     .toInteger(),
                 0);
        QCOMPARE(run({"HGET", "presence:status", "alice"}).toByteArray(), QByteArray("ONLINE"));
        QCOMPARE(run({"FCALL", "presence_timeout", "0", "", "1000", "100", "n1", "0", "#not-after",
                      future, "alice"})
                     .toInteger(),
                 1);
        const RedisReply inTime =
            run({"FCALL", "presence_sweep", "0", "", "1000", "100", "n1", "1000", "0", future});
        QCOMPARE(inTime.elements().value(0).toInteger(), 1);
        QCOMPARE(transitions().mid(2), (QStringList{QStringLiteral("alice OFFLINE timeout"),
                                                    QStringLiteral("bob OFFLINE timeout")}));
    }

    void expireOnlyWhenReallyGone()
    {
        nodeAlive("n1");
        connect("n1", "alice", 1, 60000);
        // A late or forged expired event for a client that is alive changes nothing.
        QCOMPARE(run({"FCALL", "presence_expire", "0", "", "1000", "100", "n1", "alice", "nobody"})
                     .toInteger(),
                 0);
        QCOMPARE(transitions().size(), 1);
    }

    void restoreIsSilentAndOnlyForUnknownClients()
    {
        nodeAlive("n1");
        connect("n1", "known", 1, 60000);
        QCOMPARE(
            run({"FCALL", "presence_restore", "0", "", "100", "n1", "known", "lost"}).toInteger(),
            1);
        QCOMPARE(transitions(), QStringList{QStringLiteral("known ONLINE connected")});
        QCOMPARE(run({"HGET", "presence:status", "lost"}).toByteArray(), QByteArray("ONLINE"));
        // Nobody heartbeats "lost": it times out through the normal path, once.
        qint64 swept = 0;
        QTRY_VERIFY_WITH_TIMEOUT((swept += sweep().elements().value(0).toInteger()) > 0, 2000);
        QCOMPARE(swept, 1);
        QCOMPARE(transitions().last(), QStringLiteral("lost OFFLINE timeout"));
    }

    void offlineRowsAreBounded()
    {
        nodeAlive("n1");
        QList<QList<QByteArray>> commands;
        for (int i = 0; i < 150; ++i) {
            const QByteArray client = "c" + QByteArray::number(i);
            commands << connectArgs(client) << leaveArgs(client);
        }
        runAll(commands);
        QCOMPARE(run({"HLEN", "presence:status"}).toInteger(), 100); // keep = 100
        QCOMPARE(run({"ZCARD", "presence:offline"}).toInteger(), 100);
        QVERIFY(run({"HGET", "presence:status", "c0"}).isNil());
        QCOMPARE(run({"HGET", "presence:status", "c149"}).toByteArray(), QByteArray("OFFLINE"));
    }

    void aTransitionPastManyOfflineRowsIsWhole()
    {
        // 9,000 OFFLINE rows beyond keep (= 100): one HDEL with them all overflowed Lua's
        // unpack() after HSET/ZREM/DEL had run, an OFFLINE without its event.
        nodeAlive("n1");
        QList<QList<QByteArray>> commands;
        for (int first = 0; first < 9000; first += 500) {
            QList<QByteArray> zadd{"ZADD", "presence:offline"};
            QList<QByteArray> hset{"HSET", "presence:status"};
            for (int i = first; i < first + 500; ++i) {
                const QByteArray client = "old" + QByteArray::number(i);
                zadd << QByteArray::number(i + 1) << client;
                hset << client << "OFFLINE";
            }
            commands << zadd << hset;
        }
        runAll(commands);
        QCOMPARE(run({"ZCARD", "presence:offline"}).toInteger(), 9000);
        connect("n1", "victim", 1, 60000);
        const RedisReply left = leave("n1", "victim");
        QVERIFY2(!left.isError(), left.toByteArray().constData());
        QCOMPARE(left.toInteger(), 1);
        QCOMPARE(transitions().last(), QStringLiteral("victim OFFLINE left"));
        QCOMPARE(run({"HGET", "presence:status", "victim"}).toByteArray(), QByteArray("OFFLINE"));
        QCOMPARE(run({"HLEN", "presence:status"}).toInteger(), 100);
        QCOMPARE(run({"ZCARD", "presence:offline"}).toInteger(), 100);
    }

    void aLaggingProcessorTimesNoOneOutWhoseHeartbeatSitsUnread()
    {
        // alice's deadline passes while her heartbeat waits in the stream, unread by the group.
        QVERIFY(
            run({"XGROUP", "CREATE", "heartbeat", "presence-processors", "$", "MKSTREAM"}).isOk());
        nodeAlive("n1");
        connect("n1", "alice", 1, 300);
        connect("n1", "bob", 1, 300); // nobody heartbeats bob
        QTest::qWait(100);
        const RedisReply added = run({"XADD", "heartbeat", "*", "client", "alice", "ttl", "5000"});
        QTest::qWait(400); // both deadlines passed
        const QList<QByteArray> patientSweep{"FCALL", "presence_sweep", "0",   "", "1000", "100",
                                             "s",     "1000",           "3000"};
        const RedisReply held = run(patientSweep);
        QCOMPARE(held.elements().value(0).toInteger(),
                 0); // bob too: his deadline is after alice's heartbeat
        QCOMPARE(run({"FCALL", "presence_timeout", "0", "", "1000", "100", "s", "3000", "alice"})
                     .toInteger(),
                 0);
        QCOMPARE(run({"HGET", "presence:status", "alice"}).toByteArray(), QByteArray("ONLINE"));
        // The processor catches up: alice is renewed, bob goes.
        const QList<StreamEntry> read = parseStreamRead(
            run({"XREADGROUP", "GROUP", "presence-processors", "p", "STREAMS", "heartbeat", ">"}));
        QCOMPARE(read.size(), 1);
        QCOMPARE(run({"FCALL", "presence_heartbeats", "0", "", "1000", "100", "300", "alice",
                      QByteArray::number(read[0].id.ms), "-", "5000", "0"})
                     .toInteger(),
                 0);
        QVERIFY(
            run({"XACK", "heartbeat", "presence-processors", added.toByteArray()}).toInteger() ==
            1);
        QCOMPARE(run(patientSweep).elements().value(0).toInteger(), 1);
        QCOMPARE(transitions().last(), QStringLiteral("bob OFFLINE timeout"));
        QCOMPARE(run({"HGET", "presence:status", "alice"}).toByteArray(), QByteArray("ONLINE"));
    }

    // presence_heartbeat_groups, as the processor calls it for our nodes' entries: groups of
    // members sharing a time, node and TTL. Members already ONLINE are renewed in bulk (their
    // deadline moves on, never back), new ones go ONLINE once with their connections counted,
    // a group whose deadline passed changes nothing, and a due key marks each deadline's step.
    void heartbeatGroupsRenewInBulkAndBringNewMembersOnlineOnce()
    {
        nodeAlive("n1");
        nodeAlive("n2");
        connect("n1", "alice", 1, 60000);
        const qint64 aliceBefore = run({"ZSCORE", "presence:deadlines", "alice"}).toByteArray().toLongLong();
        const qint64 now = redisNowMs();
        const QByteArray at = QByteArray::number(now);
        QList<QByteArray> call{"FCALL", "presence_heartbeat_groups", "0", "", "1000", "100", "1000", "1"};
        // n1 at `now`, TTL 120 s: alice (renewal), bob (new, 2 connections).
        call << at << "n1" << "120000" << "2" << "alice" << "1" << "bob" << "2";
        // n2 long ago (its deadline passed): carol stays unknown.
        call << QByteArray::number(now - 10000) << "n2" << "500" << "1" << "carol" << "1";
        // n2 at `now`, the caller's TTL (0): dave (new), alice again (a renewal, shorter TTL).
        call << at << "n2" << "0" << "2" << "dave" << "0" << "alice" << "1";
        QCOMPARE(run(call).toInteger(), 2); // bob and dave went ONLINE
        QCOMPARE(transitions().mid(1), (QStringList{QStringLiteral("bob ONLINE heartbeat"),
                                                    QStringLiteral("dave ONLINE heartbeat")}));
        QCOMPARE(run({"HGET", "presence:status", "carol"}).toByteArray(), QByteArray());
        const qint64 alice = run({"ZSCORE", "presence:deadlines", "alice"}).toByteArray().toLongLong();
        QCOMPARE(alice, now + 120000); // the later deadline of the two, not the 1 s one
        QVERIFY(alice > aliceBefore);
        QCOMPARE(run({"ZSCORE", "presence:deadlines", "dave"}).toByteArray().toLongLong(), now + 1000);
        QCOMPARE(connsOf("bob").value(QStringLiteral("n1")).toInt(), 2);
        // A due key per 20 ms step of the deadlines (alive = 1).
        const QByteArray due = "presence:due:" + QByteArray::number((now + 1000 + 19) / 20 * 20);
        QCOMPARE(run({"EXISTS", due}).toInteger(), 1);
        // Again: every member is a renewal now, nobody goes ONLINE twice.
        QCOMPARE(run(call).toInteger(), 0);
        QCOMPARE(transitions().size(), 3);
    }

    // The first heartbeats of a group call are written for the whole chunk at once: each one
    // must still be the whole transition of a single heartbeat.
    void heartbeatGroupsBringBackTheOfflineButNotOneWhoLeftSince()
    {
        nodeAlive("n1");
        const qint64 beforeLeaves = redisNowMs();
        connect("n1", "gina", 1);
        leave("n1", "gina");
        connect("n1", "frank", 1);
        leave("n1", "frank");
        QCOMPARE(run({"ZCARD", "presence:offline"}).toInteger(), 2);
        const QByteArray now = QByteArray::number(redisNowMs() + 1); // after both leaves
        QList<QByteArray> call{"FCALL", "presence_heartbeat_groups", "0", "", "1000", "100", "60000", "1"};
        call << now << "n1" << "0" << "2" << "frank" << "2" << "hank" << "1";
        // Sent before gina left: it does not bring her back. frank again: a renewal.
        call << QByteArray::number(beforeLeaves) << "n1" << "0" << "2" << "gina" << "1" << "frank" << "2";
        QCOMPARE(run(call).toInteger(), 2);
        QCOMPARE(transitions().mid(4), (QStringList{QStringLiteral("frank ONLINE heartbeat"),
                                                    QStringLiteral("hank ONLINE heartbeat")}));
        QCOMPARE(run({"HGET", "presence:status", "frank"}).toByteArray(), QByteArray("ONLINE"));
        QCOMPARE(run({"HGET", "presence:status", "gina"}).toByteArray(), QByteArray("OFFLINE"));
        QCOMPARE(run({"ZSCORE", "presence:deadlines", "gina"}).toByteArray(), QByteArray());
        // frank left the OFFLINE rows, gina did not.
        QCOMPARE(run({"ZSCORE", "presence:offline", "frank"}).toByteArray(), QByteArray());
        QVERIFY(!run({"ZSCORE", "presence:offline", "gina"}).toByteArray().isEmpty());
        QCOMPARE(connsOf("frank"), (QJsonObject{{QStringLiteral("n1"), 2}}));
        QCOMPARE(connsOf("hank"), (QJsonObject{{QStringLiteral("n1"), 1}}));
        const QJsonObject record =
            QJsonDocument::fromJson(run({"HGET", "presence:info", "frank"}).toByteArray()).object();
        QCOMPARE(record.value(u"reason").toString(), QStringLiteral("heartbeat"));
        QCOMPARE(record.value(u"connections").toInt(), 2);
        QCOMPARE(record.value(u"nodes").toArray(), (QJsonArray{QStringLiteral("n1")}));
        QVERIFY(record.value(u"since").toInteger() >= now.toLongLong() - 1);
    }

    void patienceEndsWhenTheProcessorsAreBehindByMoreThanIt()
    {
        QVERIFY(
            run({"XGROUP", "CREATE", "heartbeat", "presence-processors", "$", "MKSTREAM"}).isOk());
        nodeAlive("n1");
        run({"XADD", "heartbeat", "*", "client", "someone"}); // never read
        connect("n1", "carol", 1, 100);
        const QList<QByteArray> patientSweep{"FCALL", "presence_sweep", "0",  "", "1000", "100",
                                             "s",     "1000",           "400"};
        QCOMPARE(run(patientSweep).elements().value(0).toInteger(), 0);
        // The unread entry is older than the patience (400 ms) once 400 ms have passed.
        qint64 swept = 0; // QTRY_* evaluates once more after success: count, don't re-ask
        QTRY_VERIFY_WITH_TIMEOUT((swept += run(patientSweep).elements().value(0).toInteger()) > 0,
                                 2000);
        QCOMPARE(swept, 1);
    }

    void heartbeatsCarryTheirTtlAndConnections()
    {
        nodeAlive("n1");
        const QByteArray at = QByteArray::number(redisNowMs());
        QCOMPARE(run({"FCALL", "presence_heartbeats", "0", "", "1000", "100", "300", "dave", at,
                      "n1", "5000", "3", "erin", at, "n1", "0", "0"})
                     .toInteger(),
                 2);
        const qint64 now = redisNowMs();
        const qint64 dave =
            run({"ZSCORE", "presence:deadlines", "dave"}).toByteArray().toLongLong();
        const qint64 erin =
            run({"ZSCORE", "presence:deadlines", "erin"}).toByteArray().toLongLong();
        QVERIFY2(dave > now + 4000, QByteArray::number(dave - now).constData()); // its own 5,000 ms
        QVERIFY2(erin <= now + 300,
                 QByteArray::number(erin - now).constData()); // none: the caller's 300
        // dave came back ONLINE with n1's 3 connections counted: n2's leave does not take him.
        QCOMPARE(connsOf("dave").value(u"n1").toInt(), 3);
        QVERIFY(run({"HGET", "presence:info", "dave"}).toByteArray().contains("\"connections\":3"));
        nodeAlive("n2");
        connect("n2", "dave", 1, 5000);
        QCOMPARE(leave("n2", "dave").toInteger(), 0);
        QCOMPARE(run({"HGET", "presence:status", "dave"}).toByteArray(), QByteArray("ONLINE"));
        QVERIFY(!connsOf("erin").contains(u"n1"));
    }

    // A store written by library v7 keeps a hash of connections per member: v8 reads it, moves
    // it into presence:conns, and a leave still waits for the other live node.
    void connectionsWrittenByTheOlderLayoutStillCount()
    {
        nodeAlive("n1");
        nodeAlive("n2");
        connect("n1", "olga", 1);
        run({"HDEL", "presence:conns", "olga"});
        run({"HSET", "presence:conns:olga", "n1", "1", "n2", "2"}); // as v7 left it
        QCOMPARE(leave("n1", "olga").toInteger(), 0); // n2 still holds two
        QCOMPARE(run({"EXISTS", "presence:conns:olga"}).toInteger(), 0);
        QCOMPARE(connsOf("olga"), (QJsonObject{{QStringLiteral("n2"), 2}}));
        QCOMPARE(leave("n2", "olga").toInteger(), 1);
        QCOMPARE(run({"HEXISTS", "presence:conns", "olga"}).toInteger(), 0);
    }

    // Callers that declare keys name the presence stream with the first one (Redis Cluster: the
    // default room's shard writes the seed's `presence` beside its "{presence}:" keys); calls
    // declaring nothing (nodes of v7) keep P.."presence".
    void theFirstDeclaredKeyNamesThePresenceStream()
    {
        const QList<QByteArray> keys{"{presence}:declared", "{presence}:heartbeat"};
        QList<QByteArray> call{"FCALL", "presence_connect", QByteArray::number(keys.size())};
        call += keys;
        call << "{presence}:" << "1000" << "100" << "1000" << "n1" << "pat" << "1";
        QCOMPARE(run(call).toInteger(), 1);
        QCOMPARE(run({"XLEN", "{presence}:declared"}).toInteger(), 1);
        QCOMPARE(run({"EXISTS", "{presence}:presence"}).toInteger(), 0);
        QCOMPARE(run({"HGET", "{presence}:presence:status", "pat"}).toByteArray(), QByteArray("ONLINE"));
        // The next call declares nothing: the stream is P.."presence" again, not the last one's.
        QCOMPARE(run({"FCALL", "presence_connect", "0", "{presence}:", "1000", "100", "1000", "n1",
                      "quin", "1"})
                     .toInteger(),
                 1);
        QCOMPARE(run({"XLEN", "{presence}:presence"}).toInteger(), 1);
    }

    void liveNodesAndPerNodeCounts()
    {
        QVERIFY(!run({"FCALL", "presence_alive", "0", "", "n1", "60000"}).isError());
        QVERIFY(!run({"FCALL", "presence_alive", "0", "", "n2", "300"}).isError());
        connect("n1", "alice", 1, 60000);
        connect("n2", "alice", 2, 60000);
        const QByteArray info = run({"HGET", "presence:info", "alice"}).toByteArray();
        QVERIFY2(info.contains("\"counts\":{") && info.contains("\"n2\":2"), info.constData());
        const auto names = [this] {
            QStringList nodes;
            const auto reply = run({"FCALL_RO", "presence_live_nodes", "0", ""}).elements();
            for (qsizetype i = 1; i < reply.size(); ++i)
                nodes.append(QString::fromUtf8(reply[i].toByteArray()));
            nodes.sort();
            return nodes;
        };
        QCOMPARE(names(), (QStringList{QStringLiteral("n1"), QStringLiteral("n2")}));
        QTRY_COMPARE_WITH_TIMEOUT(names(), QStringList{QStringLiteral("n1")}, 2000); // n2 lapsed
        QVERIFY(run({"EXISTS", "presence:node:n2"}).toInteger() == 0);
    }

    void deadNodesConsumersLeaveTheGroupOnceNothingIsPending()
    {
        QVERIFY(
            run({"XGROUP", "CREATE", "heartbeat", "presence-processors", "$", "MKSTREAM"}).isOk());
        run({"XADD", "heartbeat", "*", "client", "x"});
        const auto readAs = [this](const QByteArray &consumer) {
            return run({"XREADGROUP", "GROUP", "presence-processors", consumer, "COUNT", "1",
                        "STREAMS", "heartbeat", ">"});
        };
        readAs("dead-holding"); // holds the entry, pending
        // Consumers that never got an entry (a node that started and died at once).
        run({"XGROUP", "CREATECONSUMER", "heartbeat", "presence-processors", "dead-idle"});
        nodeAlive("live");
        run({"XGROUP", "CREATECONSUMER", "heartbeat", "presence-processors", "live"});
        const auto consumers = [this] {
            QStringList names;
            const RedisReply reply =
                run({"XINFO", "CONSUMERS", "heartbeat", "presence-processors"});
            for (const RedisReply &c : reply.elements())
                names.append(QString::fromUtf8(c.elements().value(1).toByteArray()));
            names.sort();
            return names;
        };
        QCOMPARE(consumers().size(), 3);
        QTest::qWait(150);
        const QList<QByteArray> prune{"FCALL", "presence_prune_consumers", "0", "", "100"};
        QCOMPARE(run(prune).toInteger(), 1);
        QCOMPARE(consumers(),
                 (QStringList{QStringLiteral("dead-holding"), QStringLiteral("live")}));
        // The living claim and acknowledge the dead one's entry: then it goes too.
        const RedisReply claimed =
            run({"XAUTOCLAIM", "heartbeat", "presence-processors", "live", "0", "0-0"});
        const QList<StreamEntry> entries = parseStreamEntries(claimed.elements().value(1));
        QCOMPARE(entries.size(), 1);
        run({"XACK", "heartbeat", "presence-processors", entries[0].rawId});
        QCOMPARE(run(prune).toInteger(), 1);
        QCOMPARE(consumers(), QStringList{QStringLiteral("live")});
    }

    void presenceStreamIsCapped()
    {
        nodeAlive("n1");
        QList<QList<QByteArray>> commands;
        for (int i = 0; i < 1500; ++i)
            commands << connectArgs("flap") << leaveArgs("flap");
        runAll(commands);
        // MAXLEN ~ 1000: approximate, trimmed in whole macro nodes, never far above.
        const qint64 length = run({"XLEN", "presence"}).toInteger();
        QVERIFY2(length >= 1000 && length < 1200, QByteArray::number(length).constData());
    }

    void concurrentNodesRaceToOneTransition()
    {
        // Two connections fire the same sweep and expire at once: one transition in all.
        RedisConnection other(m_server.url());
        other.open();
        QVERIFY(presence::test::waitUntilUp(other));
        nodeAlive("n1");
        connect("n1", "alice", 1, 50);
        QTest::qWait(100); // let the 50 ms TTL pass (the clock under test is Redis's own)
        int done = 0;
        qint64 total = 0;
        for (int i = 0; i < 20; ++i) {
            RedisConnection &via = i % 2 ? other : *m_redis;
            via.command({"FCALL", "presence_sweep", "0", "", "1000", "100", "n", "1000"},
                        [&](const RedisReply &r) {
                            total += r.elements().value(0).toInteger();
                            ++done;
                        });
            via.command({"FCALL", "presence_expire", "0", "", "1000", "100", "n", "alice"},
                        [&](const RedisReply &r) {
                            total += r.toInteger();
                            ++done;
                        });
        }
        QTRY_COMPARE(done, 40);
        QCOMPARE(total, 1);
        QCOMPARE(transitions().size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestPresenceFunctions)
#include "tst_presence_functions.moc"
