// The Redis Functions library's heartbeat calls against a real redis-server: presence_heartbeat,
// presence_heartbeats and presence_heartbeat_groups (what the processors call), their TTLs and
// connections, and the patience with lagging processors of the timeouts they race.
#include "PresenceFunctionsFixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace presence;

class TestHeartbeatFunctions : public presence::test::PresenceFunctionsFixture {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { startServer(); }
    void init() { loadLibraryAfresh(); }


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
};

QTEST_GUILESS_MAIN(TestHeartbeatFunctions)
#include "tst_heartbeat_functions.moc"
