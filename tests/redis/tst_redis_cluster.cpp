// The cluster client against a real Redis Cluster on loopback (three primaries, a replica
// each, node timeout 1 s): every key reaches the primary that owns its slot, MOVED and ASK are
// followed while slots migrate (redis-cli --cluster reshard in the middle of the test, and a
// slot migrated by hand), a primary killed with -9 is replaced by its replica and commands flow
// again, and a server that is not a cluster node is named as such.
#include "HttpGet.h"
#include "NodeProcess.h"
#include "RedisClusterGroup.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "model/RoomName.h"
#include "redis/ClusterKeySlot.h"
#include "redis/ClusterShards.h"
#include "redis/ClusterSlotOwner.h"
#include "redis/ClusterSubscriber.h"
#include "redis/RedisCluster.h"
#include "redis/RedisConnection.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>
#include <map>

using namespace presence;
using presence::test::askNode;
using presence::test::httpGet;
using presence::test::NodeProcess;
using presence::test::RedisClusterGroup;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {

RedisCluster::Options quickOptions()
{
    RedisCluster::Options options;
    options.connection.initialBackoffMs = 50;
    options.connection.maxBackoffMs = 500;
    options.connection.connectTimeoutMs = 1000;
    options.refreshIntervalMs = 1000;
    return options;
}

RedisReply run(RedisCluster &cluster, const QList<QByteArray> &argv, int timeoutMs = 10000)
{
    std::optional<RedisReply> result;
    cluster.commandForKey(argv, 1, [&result](const RedisReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, timeoutMs))
        return RedisReply::error("test: no reply within the deadline");
    return *result;
}

bool waitUp(const RedisCluster &cluster, int timeoutMs = 15000)
{
    return QTest::qWaitFor([&] { return cluster.state() == RedisCluster::State::Up; }, timeoutMs);
}

QByteArray keyOnSlotOf(quint16 wantedPrimary, RedisClusterGroup &group, const QByteArray &prefix)
{
    for (int i = 0; i < 10000; ++i) {
        const QByteArray key = prefix + QByteArray::number(i);
        if (group.primaryOfSlot(clusterKeySlot(key)) == wantedPrimary)
            return key;
    }
    return {};
}

} // namespace

class TestRedisCluster : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_group = std::make_unique<RedisClusterGroup>();
        QVERIFY2(m_group->start(), qPrintable(m_group->errorString()));
        QCOMPARE(m_group->primaryPorts().size(), 3);
    }

    void everyKeyReachesTheOwnerOfItsSlot()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        QSignalSpy mapChanged(&cluster, &RedisCluster::slotMapChanged);
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        QCOMPARE(mapChanged.size(), 1);
        QCOMPARE(cluster.slotMap().primaries().size(), 3);
        QCOMPARE(cluster.slotMap().uncoveredSlots(), 0);
        for (const ClusterSlotMap::Shard &shard : cluster.slotMap().shards())
            QCOMPARE(shard.replicas.size(), 1);

        int pending = 300;
        std::map<quint16, int> perPrimary;
        for (int i = 0; i < 300; ++i) {
            const QByteArray key = "route:" + QByteArray::number(i);
            cluster.commandForKey({"SET", key, QByteArray::number(i)}, 1,
                                  [&pending](const RedisReply &reply) {
                                      QVERIFY2(reply.isOk(), reply.toDebugString().constData());
                                      --pending;
                                  });
        }
        QVERIFY(QTest::qWaitFor([&] { return pending == 0; }, 10000));
        for (int i = 0; i < 300; ++i) {
            const QByteArray key = "route:" + QByteArray::number(i);
            // Our slot is Redis' slot, and the key lives on the primary serving it.
            QCOMPARE(askNode(m_group->node(0).port(), {"CLUSTER", "KEYSLOT", key}).toInteger(),
                     qint64(clusterKeySlot(key)));
            const auto owner = m_group->primaryOfSlot(clusterKeySlot(key));
            QVERIFY(owner);
            QCOMPARE(askNode(*owner, {"GET", key}).toByteArray(), QByteArray::number(i));
            ++perPrimary[*owner];
        }
        QCOMPARE(perPrimary.size(), size_t(3)); // keys on every primary
        QCOMPARE(cluster.movedCount(), quint64(0));

        // The same command on every primary.
        std::optional<QList<std::pair<RedisCluster::Address, RedisReply>>> replies;
        cluster.onEveryPrimary({"DBSIZE"}, [&](const auto &all) { replies = all; });
        QVERIFY(QTest::qWaitFor([&] { return replies.has_value(); }, 5000));
        QCOMPARE(replies->size(), 3);
        qint64 total = 0;
        for (const auto &[address, reply] : *replies)
            total += reply.toInteger();
        QVERIFY(total >= 300);
    }

    // The room shards' tags spread over the real cluster's primaries evenly.
    void shardsSpreadOverThePrimaries()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        const ClusterShards shards(64);
        const QMap<QString, int> spread = shards.perPrimary(cluster.slotMap());
        QCOMPARE(spread.size(), 3);
        for (auto it = spread.begin(); it != spread.end(); ++it)
            QVERIFY2(it.value() >= 20 && it.value() <= 23, qPrintable(it.key() + QString::number(it.value())));
        for (const int shard : {0, 1, 63}) {
            const QByteArray key = "{" + shards.tag(shard) + "}:status";
            QCOMPARE(askNode(m_group->node(0).port(), {"CLUSTER", "KEYSLOT", key}).toInteger(), qint64(shards.slot(shard)));
        }
    }

    void notAClusterNodeIsNamed()
    {
        RedisTestServer plain;
        QVERIFY2(plain.start(), qPrintable(plain.errorString()));
        RedisCluster cluster(plain.url(), quickOptions());
        cluster.open();
        QVERIFY(QTest::qWaitFor([&] { return cluster.state() == RedisCluster::State::Down; }, 5000));
        QVERIFY2(cluster.lastError().contains(QStringLiteral("not a Redis Cluster node")),
                 qPrintable(cluster.lastError()));
        // A command does not wait forever: it fails once the retry window is over.
        const RedisReply reply = run(cluster, {"GET", "k"}, 10000);
        QVERIFY(reply.isError());
        QVERIFY2(reply.toByteArray().startsWith("CLUSTERDOWN"), reply.toDebugString().constData());

        RedisCluster db1(*RedisUrl::parse(m_group->seedsText() + QStringLiteral("/1")), quickOptions());
        db1.open();
        QVERIFY(db1.lastError().contains(QStringLiteral("database 0")));
    }

    // One node of a cluster is enough: asked at start-up, it says it is a cluster node, and the
    // node runs on the whole cluster (the map names the rest): a member's status lands in its
    // room's shard, on the primary serving that shard's slot, whichever node was named.
    void oneClusterNodeRunsOnTheCluster()
    {
        const quint16 named = m_group->primaryPorts().first();
        NodeProcess node;
        QVERIFY2(node.start({QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(named)}),
                 node.log().constData());
        QVERIFY2(QTest::qWaitFor([&] {
            const auto health = httpGet(node.port(), QStringLiteral("/health"));
            return health.status == 200 && health.body.contains("\"redis-cluster\"");
        }, 15000), node.log().right(2000).constData());
        QVERIFY(node.log().contains("is a Redis Cluster node: running on the cluster"));
        // A room whose shard another primary serves.
        const ClusterShards shards(16);
        QString room;
        for (int i = 0; room.isEmpty() && i < 1000; ++i) {
            const QString candidate = QStringLiteral("probe-%1").arg(i);
            if (m_group->primaryOfSlot(shards.slot(shards.shardOf(*RoomName::fromString(candidate)))) != named)
                room = candidate;
        }
        QVERIFY(!room.isEmpty());
        SseTestClient member;
        member.open(node.port(), "/carol?room=" + room.toUtf8());
        QVERIFY(member.waitForHeaders());
        const int shard = shards.shardOf(*RoomName::fromString(room));
        const auto owner = m_group->primaryOfSlot(shards.slot(shard));
        QVERIFY(owner && *owner != named);
        const QByteArray statusKey = '{' + shards.tag(shard) + "}:presence:status";
        QVERIFY2(QTest::qWaitFor([&] {
            return askNode(*owner, {"HGET", statusKey, room.toUtf8() + "/carol"}).toByteArray() == "ONLINE";
        }, 10000), askNode(*owner, {"HGETALL", statusKey}).toDebugString().constData());
    }

    // A cluster node that could not be asked at start-up (hung then) runs the plain engine,
    // which names the problem once the node answers, rather than failing one function call
    // after another on keys of other slots.
    void aClusterNodeFoundLateIsNamed()
    {
        RedisTestServer &hung = m_group->node(0);
        QVERIFY(hung.pause());
        NodeProcess node;
        const bool started = node.start({QStringLiteral("--redis"),
                                         QStringLiteral("redis://127.0.0.1:%1").arg(hung.port())});
        QVERIFY(hung.resume());
        QVERIFY2(started, node.log().constData());
        QVERIFY2(QTest::qWaitFor([&] {
            const auto health = httpGet(node.port(), QStringLiteral("/health"));
            return health.status == 503 && health.body.contains("is a Redis Cluster node") &&
                   health.body.contains("restart presence");
        }, 15000), node.log().right(2000).constData());
        QVERIFY(m_group->waitForHealthy(15000));
    }

    // redis-cli moves slots with their keys while commands keep flowing: every command
    // succeeds (MOVED and ASK followed), and no write is lost or doubled.
    void movedAndAskDuringAReshard()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        const QList<quint16> primaries = m_group->primaryPorts();
        const quint16 from = primaries[0];
        const quint16 to = primaries[1];
        // Counters on the slots that move: the source's first slots.
        QList<QByteArray> keys;
        for (int i = 0; keys.size() < 40 && i < 100000; ++i) {
            const QByteArray key = "count:" + QByteArray::number(i);
            if (m_group->primaryOfSlot(clusterKeySlot(key)) == from)
                keys.append(key);
        }
        QCOMPARE(keys.size(), 40);
        std::map<QByteArray, qint64> sent;
        int failures = 0;
        QByteArray firstFailure;
        int inFlight = 0;
        const auto issue = [&](const QByteArray &key) {
            ++sent[key];
            ++inFlight;
            cluster.commandForKey({"INCR", key}, 1, [&](const RedisReply &reply) {
                --inFlight;
                if (!reply.isInteger()) {
                    ++failures;
                    firstFailure = firstFailure.isEmpty() ? reply.toDebugString() : firstFailure;
                }
            });
        };
        QProcess *reshard = m_group->startReshard(from, to, 2000);
        QElapsedTimer clock;
        clock.start();
        while (reshard->state() != QProcess::NotRunning && clock.elapsed() < 60000) {
            for (const QByteArray &key : keys)
                issue(key);
            QTest::qWait(5);
        }
        QVERIFY2(reshard->exitCode() == 0, reshard->readAll().right(2000).constData());
        for (const QByteArray &key : keys)
            issue(key);
        QVERIFY(QTest::qWaitFor([&] { return inFlight == 0; }, 15000));
        QVERIFY2(failures == 0, firstFailure.constData());
        QVERIFY2(cluster.movedCount() + cluster.askCount() > 0,
                 "the reshard never redirected a command: the test did not test anything");
        qInfo("reshard of 2000 slots: %llu MOVED, %llu ASK, %llu retries, %d commands",
              cluster.movedCount(), cluster.askCount(), cluster.retryCount(),
              int(std::accumulate(sent.begin(), sent.end(), qint64(0),
                                  [](qint64 n, const auto &entry) { return n + entry.second; })));
        QVERIFY(m_group->waitForHealthy(10000));
        for (const QByteArray &key : keys) {
            const auto owner = m_group->primaryOfSlot(clusterKeySlot(key));
            QCOMPARE(askNode(*owner, {"GET", key}).toInteger(), sent[key]);
        }
        // The map followed: every key's slot is served where the cluster says, and some of
        // the counters did move.
        int movedKeys = 0;
        for (const QByteArray &key : keys) {
            const quint16 owner = *m_group->primaryOfSlot(clusterKeySlot(key));
            movedKeys += owner == to ? 1 : 0;
            QVERIFY(QTest::qWaitFor([&] {
                return cluster.slotMap().primaryFor(clusterKeySlot(key))->port == owner;
            }, 5000));
        }
        QVERIFY(movedKeys > 0);
    }

    // One slot migrated by hand, a key already moved: the source answers ASK and the client
    // asks the importing node, without changing its map; once the slot is assigned, MOVED.
    void askForAKeyInMigration()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        const QList<quint16> primaries = m_group->primaryPorts();
        const quint16 source = primaries[2];
        const quint16 target = primaries[0];
        const QByteArray key = keyOnSlotOf(source, *m_group, "ask:");
        QVERIFY(!key.isEmpty());
        const QByteArray slot = QByteArray::number(clusterKeySlot(key));
        QCOMPARE(run(cluster, {"SET", key, "before"}).isOk(), true);
        QVERIFY(askNode(target, {"CLUSTER", "SETSLOT", slot, "IMPORTING", m_group->nodeId(source)}).isOk());
        QVERIFY(askNode(source, {"CLUSTER", "SETSLOT", slot, "MIGRATING", m_group->nodeId(target)}).isOk());
        const RedisReply migrated = askNode(source, {"MIGRATE", "127.0.0.1", QByteArray::number(target),
                                                     key, "0", "5000"});
        QVERIFY2(migrated.isOk(), migrated.toDebugString().constData());
        const quint64 asksBefore = cluster.askCount();
        QCOMPARE(run(cluster, {"GET", key}).toByteArray(), QByteArray("before"));
        QCOMPARE(cluster.askCount(), asksBefore + 1);
        QCOMPARE(cluster.slotMap().primaryFor(clusterKeySlot(key))->port, source); // unchanged

        for (const quint16 port : m_group->primaryPorts())
            askNode(port, {"CLUSTER", "SETSLOT", slot, "NODE", m_group->nodeId(target)});
        const quint64 movedBefore = cluster.movedCount();
        QCOMPARE(run(cluster, {"SET", key, "after"}).isOk(), true);
        QVERIFY(cluster.movedCount() > movedBefore);
        QCOMPARE(askNode(target, {"GET", key}).toByteArray(), QByteArray("after"));
        QVERIFY(m_group->waitForHealthy(10000));
    }

    // A slot's connection while its primary answers CLUSTERDOWN (a slot of its own deleted: the
    // cluster no longer covers every slot): a command left to Retry waits and is executed once
    // the slot is served again; one that asked to be answered (a sweep) gets the CLUSTERDOWN at
    // once and is never executed; each deferral is told (clusterDeferred), so an engine can
    // hold its timeouts while heartbeats wait, and so is the end (clusterResumed), when the
    // held commands go through.
    void aSlotConnectionThroughClusterDown()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        const quint16 owner = m_group->primaryPorts().first();
        const QByteArray key = keyOnSlotOf(owner, *m_group, "down:");
        const QByteArray other = keyOnSlotOf(owner, *m_group, "down-other:");
        QVERIFY(!key.isEmpty() && !other.isEmpty() && clusterKeySlot(key) != clusterKeySlot(other));
        RedisConnection::Options options;
        options.redirectRetryMs = 20000;
        RedisConnection connection(m_group->seedsUrl(),
                                   std::make_unique<ClusterSlotOwner>(cluster, clusterKeySlot(key)),
                                   options);
        connection.open();
        QVERIFY(QTest::qWaitFor([&] { return connection.state() == RedisConnection::State::Up; }, 10000));
        QSignalSpy deferred(&connection, &RedisConnection::clusterDeferred);
        QSignalSpy resumed(&connection, &RedisConnection::clusterResumed);

        const QByteArray otherSlot = QByteArray::number(clusterKeySlot(other));
        QVERIFY(askNode(owner, {"CLUSTER", "DELSLOTS", otherSlot}).isOk());
        QVERIFY(QTest::qWaitFor(
            [&] { return askNode(owner, {"SET", key, "probe"}).toByteArray().startsWith("CLUSTERDOWN"); },
            10000));
        std::optional<RedisReply> retried, answered;
        connection.command({"SET", key, "retried"}, [&](const RedisReply &r) { retried = r; });
        connection.command({"SET", key, "answered"}, [&](const RedisReply &r) { answered = r; },
                           RedisConnection::Redirects::Answer);
        QVERIFY(QTest::qWaitFor([&] { return answered.has_value(); }, 5000));
        QVERIFY2(answered->toByteArray().startsWith("CLUSTERDOWN"), answered->toDebugString().constData());
        QVERIFY(!retried); // held, sent again after a backoff
        QVERIFY(deferred.size() >= 2);
        QTest::qWait(300); // a few resends, still refused
        QVERIFY(!retried);
        QCOMPARE(resumed.size(), 0); // refusals, answered or held, are no resumption

        QVERIFY(askNode(owner, {"CLUSTER", "ADDSLOTS", otherSlot}).isOk());
        QVERIFY(QTest::qWaitFor([&] { return retried.has_value(); }, 10000));
        QVERIFY2(retried->isOk(), retried->toDebugString().constData());
        QVERIFY(connection.redirectRetries() > 0);
        QCOMPARE(resumed.size(), 1); // told once, when the held command went through
        QCOMPARE(askNode(owner, {"GET", key}).toByteArray(), QByteArray("retried")); // never "answered"
        QVERIFY(m_group->waitForHealthy(10000));
    }

    // kill -9 of a primary: its replica is promoted; commands for its slots fail while it is
    // gone (never silently resent) and flow again on the promoted replica.
    void aPrimaryKilledIsReplacedByItsReplica()
    {
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        const quint16 victim = m_group->primaryPorts().last();
        const auto replica = m_group->replicaOf(victim);
        QVERIFY(replica);
        const QByteArray key = keyOnSlotOf(victim, *m_group, "failover:");
        QVERIFY(run(cluster, {"SET", key, "1"}).isOk());

        QElapsedTimer sinceKill;
        QVERIFY(m_group->kill9(victim));
        sinceKill.start();
        QVERIFY(QTest::qWaitFor([&] { return cluster.state() != RedisCluster::State::Up; }, 5000));
        // Poll: a SET every 50 ms until one succeeds on the promoted replica.
        std::optional<qint64> flowingAfterMs;
        QByteArray lastError;
        while (!flowingAfterMs && sinceKill.elapsed() < 30000) {
            const RedisReply reply = run(cluster, {"SET", key, "2"}, 10000);
            if (reply.isOk())
                flowingAfterMs = sinceKill.elapsed();
            else
                lastError = reply.toByteArray();
            QTest::qWait(50);
        }
        QVERIFY2(flowingAfterMs, lastError.constData());
        qInfo("primary killed: a write succeeded again %lld ms later (node timeout 1 s)", *flowingAfterMs);
        QCOMPARE(askNode(*replica, {"GET", key}).toByteArray(), QByteArray("2"));
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        QCOMPARE(cluster.slotMap().primaryFor(clusterKeySlot(key))->port, *replica);
    }

    // Keyspace notifications are local to the node holding the key: the subscriber has one
    // connection per primary, and follows a failover to the promoted replica.
    void keyspaceNotificationsFromEveryPrimary_acrossAFailover()
    {
        for (int i = 0; i < m_group->nodeCount(); ++i) {
            if (m_group->node(i).isRunning())
                QVERIFY(askNode(m_group->node(i).port(), {"CONFIG", "SET", "notify-keyspace-events", "K$"}).isOk());
        }
        RedisCluster cluster(m_group->seedsUrl(), quickOptions());
        cluster.open();
        QVERIFY2(waitUp(cluster), qPrintable(cluster.lastError()));
        RedisConnection::Options subscriberOptions;
        subscriberOptions.initialBackoffMs = 50;
        subscriberOptions.maxBackoffMs = 500;
        ClusterSubscriber subscriber(cluster, subscriberOptions);
        QSet<QByteArray> notified;
        subscriber.psubscribe({"__keyspace@0__:note:*"}, [&](const QByteArray &channel, const QByteArray &) {
            notified.insert(channel.mid(channel.indexOf(':') + 1));
        });
        QVERIFY(QTest::qWaitFor([&] { return subscriber.isUp(); }, 10000));
        QCOMPARE(subscriber.subscriberCount(), cluster.slotMap().primaries().size());
        // A key on every primary.
        QList<QByteArray> keys;
        for (const quint16 primary : m_group->primaryPorts())
            keys.append(keyOnSlotOf(primary, *m_group, "note:"));
        for (const QByteArray &key : keys)
            QVERIFY(run(cluster, {"SET", key, "x"}).isOk());
        QVERIFY2(QTest::qWaitFor([&] { return notified.size() == keys.size(); }, 5000),
                 qPrintable(QString::number(notified.size())));

        // Fail over a primary that still has a replica; its slots' notifications come from the
        // promoted replica's node afterwards.
        quint16 victim = 0;
        for (const quint16 primary : m_group->primaryPorts()) {
            if (m_group->replicaOf(primary))
                victim = primary;
        }
        QVERIFY(victim != 0);
        const quint16 promoted = *m_group->replicaOf(victim);
        const QByteArray key = keyOnSlotOf(victim, *m_group, "note:after-");
        QVERIFY(m_group->kill9(victim));
        QVERIFY(QTest::qWaitFor([&] { return m_group->primaryOfSlot(clusterKeySlot(key)) == promoted; }, 20000));
        QVERIFY(QTest::qWaitFor([&] { return subscriber.isUp() && cluster.state() == RedisCluster::State::Up; }, 10000));
        notified.clear();
        QVERIFY(run(cluster, {"SET", key, "y"}).isOk());
        QVERIFY2(QTest::qWaitFor([&] { return notified.contains(key); }, 5000),
                 "no notification from the promoted replica");
    }

private:
    std::unique_ptr<RedisClusterGroup> m_group;
};

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_redis_cluster.moc"
