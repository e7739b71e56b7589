// ShardInterest: which shards a cluster node reads, and when it stops (times given, no clock).
#include "redis/ShardInterest.h"

#include <QTest>

using presence::ShardInterest;

class TestShardInterest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aShardIsReadUntilTheLingerAfterItsLastReader()
    {
        ShardInterest interest(4, 1000);
        interest.add({1});
        interest.markRead(1);
        interest.add({1, 2});
        interest.markRead(2);
        interest.remove({1}, 0);
        QVERIFY(interest.isNeeded(1));
        interest.remove({1, 2}, 100);
        QVERIFY(!interest.isNeeded(1) && !interest.isNeeded(2));
        QCOMPARE(interest.takeIdle(1099), QList<int>{});
        QCOMPARE(interest.takeIdle(1100), (QList<int>{1, 2}));
        QVERIFY(!interest.isRead(1));
        QCOMPARE(interest.takeIdle(5000), QList<int>{}); // reported once
    }

    void aReaderBackWithinTheLingerKeepsItRead()
    {
        ShardInterest interest(2, 1000);
        interest.add({0});
        interest.markRead(0);
        interest.remove({0}, 0);
        interest.add({0}); // a reconnect at 500 ms
        QCOMPARE(interest.takeIdle(1500), QList<int>{});
        interest.remove({0}, 1600); // the linger counts from this leave, not the first
        QCOMPARE(interest.takeIdle(2599), QList<int>{});
        QCOMPARE(interest.takeIdle(2600), QList<int>{0});
    }

    void aReaderOfEveryShardHoldsThemAll()
    {
        ShardInterest interest(3, 0);
        interest.add({});
        for (int shard = 0; shard < 3; ++shard) {
            QVERIFY(interest.isNeeded(shard));
            interest.markRead(shard);
        }
        interest.add({2});
        interest.remove({}, 10);
        QCOMPARE(interest.takeIdle(10), (QList<int>{0, 1}));
        QVERIFY(interest.isNeeded(2));
        // More leaves than joins (a bug elsewhere) count down to nobody, not below.
        interest.remove({2}, 20);
        interest.remove({2}, 20);
        interest.remove({}, 20);
        QCOMPARE(interest.takeIdle(20), QList<int>{2});
        interest.add({2});
        QVERIFY(interest.isNeeded(2));
    }

    void aShardNeverReadIsNeverReportedIdle()
    {
        ShardInterest interest(2, 0);
        interest.add({1});
        interest.remove({1}, 0); // its follow never began reading (no markRead)
        QCOMPARE(interest.takeIdle(100), QList<int>{});
    }
};

QTEST_GUILESS_MAIN(TestShardInterest)
#include "tst_shard_interest.moc"
