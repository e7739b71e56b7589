// The Redis Functions library (resources/redis/presence/*.lua, joined at build time) against a real redis-server:
// every transition exactly once, whoever asks and however often (heartbeats:
// tst_heartbeat_functions).
#include "PresenceFunctionsFixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace presence;

class TestPresenceFunctions : public presence::test::PresenceFunctionsFixture {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { startServer(); }
    void init() { loadLibraryAfresh(); }


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
