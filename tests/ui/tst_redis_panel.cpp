// The Redis panel over a real redis-server: state, the keyspace toggle (which merges flags),
// CONFIG refused, stream and group figures, nodes; and crashes time out through Redis too.
// On a real three-primary Redis Cluster: the primaries and presence shards, followed through a
// failover.
#include "RedisClusterGroup.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "UiTestBackend.h"
#include "engine/DiagnosticsMonitor.h"
#include "redis/ClusterPresenceEngine.h"
#include "redis/ClusterView.h"
#include "redis/RedisPanel.h"
#include "redis/RedisPresenceEngine.h"
#include "roster/RosterModel.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QCheckBox>
#include <QLabel>
#include <QTableWidget>
#include <QTest>

using namespace presence;
using namespace presence::test;

class RedisPanelTest : public QObject {
    Q_OBJECT
private:
    static QByteArray configuredFlags(RedisTestServer &server)
    {
        RedisConnection probe(server.url());
        probe.open();
        if (!waitUntilUp(probe))
            return "(down)";
        const RedisReply reply = runCommand(probe, {"CONFIG", "GET", "notify-keyspace-events"});
        return reply.elements().value(1).toByteArray();
    }

    static bool hasFlags(const QByteArray &flags, const char *wanted)
    {
        for (const char *c = wanted; *c; ++c) {
            if (!flags.contains(*c))
                return false;
        }
        return true;
    }

private Q_SLOTS:
    void keyspaceToggleMergesFlagsOnTheServer()
    {
        RedisTestServer server({QStringLiteral("--notify-keyspace-events"), QStringLiteral("Kg")});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        auto backend = startBackend(uiTestOptions(server.url().toDisplayString()), &error);
        QVERIFY2(backend, qPrintable(error));
        auto *engine = qobject_cast<RedisPresenceEngine *>(&backend->engine());
        QVERIFY(engine);
        QTRY_VERIFY_WITH_TIMEOUT(engine->isReady(), 10000);

        RedisPanel panel(*backend);
        QTRY_VERIFY_WITH_TIMEOUT(panel.stateLabel()->text().contains(QStringLiteral("up")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(hasFlags(configuredFlags(server), "Kgx"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(panel.flagsLabel()->text().contains(QLatin1Char('x')), 5000);
        QVERIFY(panel.expiredToggle()->isChecked());

        panel.expiredToggle()->click(); // off: only x goes
        QTRY_VERIFY_WITH_TIMEOUT(!configuredFlags(server).contains('x'), 5000);
        QVERIFY(hasFlags(configuredFlags(server), "Kg"));
        QTRY_VERIFY_WITH_TIMEOUT(!panel.flagsLabel()->text().contains(QLatin1Char('x')), 5000);
        QVERIFY(panel.configMessage()->text().contains(QStringLiteral("sweep")));

        panel.expiredToggle()->click(); // on again
        QTRY_VERIFY_WITH_TIMEOUT(hasFlags(configuredFlags(server), "Kgx"), 5000);
    }

    void refusedConfigSaysSo()
    {
        RedisTestServer server({QStringLiteral("--rename-command"), QStringLiteral("CONFIG"), QString()});
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        auto backend = startBackend(uiTestOptions(server.url().toDisplayString()), &error);
        QVERIFY2(backend, qPrintable(error));
        RedisPanel panel(*backend);
        QTRY_VERIFY_WITH_TIMEOUT(panel.configMessage()->text().contains(QStringLiteral("refused CONFIG")), 10000);
    }

    void figuresAndCrashedClientsThroughRedis()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QString error;
        auto backend = startBackend(uiTestOptions(server.url().toDisplayString()), &error);
        QVERIFY2(backend, qPrintable(error));
        auto *engine = qobject_cast<RedisPresenceEngine *>(&backend->engine());
        QTRY_VERIFY_WITH_TIMEOUT(engine->isReady(), 10000);

        RosterModel roster(backend->engine());
        SimulationPanel simulation(backend->localClients(), backend->baseUrl());
        RedisPanel panel(*backend);
        const QStringList names = simulation.pool().spawn(4, QStringLiteral("rc-{n}"));
        QCOMPARE(names.size(), 4);
        QTRY_COMPARE_WITH_TIMEOUT(roster.counts().online, 4, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(simulation.pool().activeCount(), 4, 5000);
        for (const QString &name : names)
            QTRY_COMPARE_WITH_TIMEOUT(simulation.pool().client(name)->state(),
                                      SimulatedClient::State::Streaming, 5000);

        simulation.pool().apply(SimulatedClientPool::Action::Crash, names.mid(0, 3));
        auto timedOut = [&roster, &names] {
            int count = 0;
            for (const QString &name : names.mid(0, 3)) {
                const ClientPresence *row = roster.find(name);
                count += row && row->status == PresenceStatus::Offline && row->reason == Reason::timeout;
            }
            return count;
        };
        QTRY_COMPARE_WITH_TIMEOUT(timedOut(), 3, 10000);
        QCOMPARE(roster.find(names.last())->status, PresenceStatus::Online);

        // The panel renders the engine's diagnostics (no command of its own).
        panel.refresh();
        const DiagnosticsMonitor &monitor = backend->diagnostics();
        QTRY_VERIFY_WITH_TIMEOUT(monitor.last().presenceStreamLength >= 7, 5000);
        QVERIFY(monitor.last().heartbeatStreamLength > 0);
        QTRY_COMPARE_WITH_TIMEOUT(monitor.last().processors.consumers, 1, 5000);
        QVERIFY(monitor.last().findNode(QStringLiteral("ui-test")));
        QTRY_VERIFY_WITH_TIMEOUT(panel.streamsLabel()->text().startsWith(
                                     QStringLiteral("heartbeat %1").arg(monitor.last().heartbeatStreamLength)),
                                 5000);
        QVERIFY(panel.groupLabel()->text().contains(QStringLiteral("1 consumer(s)")));
    }

    // The topology group: the server with its role, its replicas (from its ROLE), no Sentinels
    // for a plain URL, TLS off; a replica that goes away leaves the list.
    void topologyShowsTheServerAndItsReplicas()
    {
        RedisTestServer primary;
        QVERIFY2(primary.start(), qPrintable(primary.errorString()));
        RedisTestServer replica({QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"),
                                 QString::number(primary.port())});
        QVERIFY2(replica.start(), qPrintable(replica.errorString()));
        QString error;
        auto backend = startBackend(uiTestOptions(primary.url().toDisplayString()), &error);
        QVERIFY2(backend, qPrintable(error));
        RedisPanel panel(*backend);
        const QString replicaAddress = QStringLiteral("127.0.0.1:%1").arg(replica.port());
        QTRY_VERIFY_WITH_TIMEOUT(panel.replicasLabel()->text().contains(replicaAddress), 10000);
        QVERIFY2(panel.primaryLabel()->text() ==
                     QStringLiteral("127.0.0.1:%1 — primary").arg(primary.port()),
                 qPrintable(panel.primaryLabel()->text()));
        QVERIFY(panel.sentinelsLabel()->text().startsWith(QStringLiteral("none")));
        QVERIFY(panel.tlsLabel()->text().startsWith(QStringLiteral("off")));

        QVERIFY(replica.kill9());
        QTRY_COMPARE_WITH_TIMEOUT(panel.replicasLabel()->text(), QStringLiteral("none"), 10000);
    }

    // The cluster view: every primary with its slots, shards, keys and replica; every shard with
    // the primary serving its slot and what this node holds of it; a primary killed -9 and its
    // replica promoted shows as the new primary of its shards.
    void clusterShowsPrimariesAndShards()
    {
        RedisClusterGroup cluster(3, 1, 1000);
        QVERIFY2(cluster.start(), qPrintable(cluster.errorString()));
        QString error;
        auto backend = startBackend(uiTestOptions(cluster.seedsText()), &error);
        QVERIFY2(backend, qPrintable(error));
        auto *engine = qobject_cast<ClusterPresenceEngine *>(&backend->engine());
        QVERIFY(engine);
        QTRY_VERIFY_WITH_TIMEOUT(engine->isReady(), 20000);
        // One member in a room of every shard (the default room's is shard 0, the only one
        // there), so every primary holds presence keys.
        const ClusterShards &shards = engine->shards();
        QHash<int, RoomName> roomOfShard{{0, RoomName()}};
        for (int n = 0; roomOfShard.size() < shards.count() && n < 10000; ++n) {
            const RoomName room = *RoomName::fromString(QStringLiteral("room-%1").arg(n));
            if (!roomOfShard.contains(shards.shardOf(room)))
                roomOfShard.insert(shards.shardOf(room), room);
        }
        QCOMPARE(roomOfShard.size(), shards.count());
        for (const RoomName &room : roomOfShard)
            backend->localClients().open(RoomMember(room, *ClientId::fromString(u"alice")));

        // As in the dashboard: its roster shows every room, so the node reads every shard
        // (a node reads a shard only while a reader of its own needs it).
        RosterModel roster(backend->engine());
        RedisPanel panel(*backend);
        ClusterView *view = panel.clusterView();
        QVERIFY(view);
        QVERIFY(!panel.primaryLabel()); // no single-server topology on a cluster
        QTRY_VERIFY_WITH_TIMEOUT(view->summaryLabel()->text().contains(QStringLiteral("all 16,384 slots")), 10000);
        QVERIFY2(view->summaryLabel()->text().startsWith(QStringLiteral("3 primaries")),
                 qPrintable(view->summaryLabel()->text()));
        QTableWidget *primaries = view->primariesTable();
        QTableWidget *shardRows = view->shardsTable();
        const auto cell = [](QTableWidget *table, int row, int column) {
            const QTableWidgetItem *item = table->item(row, column);
            return item ? item->text() : QString();
        };
        const auto everyPrimaryHoldsKeys = [&] {
            if (primaries->rowCount() != 3)
                return false;
            for (int row = 0; row < 3; ++row) {
                if (QLocale().toLongLong(cell(primaries, row, 4)) <= 0)
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(everyPrimaryHoldsKeys(), 10000);
        int presenceShards = 0;
        for (int row = 0; row < 3; ++row) {
            presenceShards += cell(primaries, row, 3).toInt();
            QVERIFY2(cell(primaries, row, 5).contains(QStringLiteral("127.0.0.1:")),
                     qPrintable(cell(primaries, row, 5))); // its replica
        }
        QCOMPARE(presenceShards, shards.count());
        const auto onlineEverywhere = [&] {
            if (shardRows->rowCount() != shards.count())
                return false;
            for (int row = 0; row < shards.count(); ++row) {
                if (cell(shardRows, row, 6) != u"1" || cell(shardRows, row, 4) != u"up")
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(onlineEverywhere(), 10000);
        for (int row = 0; row < shards.count(); ++row) {
            const auto owner = cluster.primaryOfSlot(shards.slot(row));
            QVERIFY(owner);
            QCOMPARE(cell(shardRows, row, 2), QString::number(shards.slot(row)));
            QCOMPARE(cell(shardRows, row, 3), QStringLiteral("127.0.0.1:%1").arg(*owner));
        }

        // The default room's primary dies; its replica takes over and the view follows.
        const quint16 lost = *cluster.primaryOfSlot(shards.slot(0));
        const auto replica = cluster.replicaOf(lost);
        QVERIFY(replica);
        QVERIFY(cluster.kill9(lost));
        const QString promoted = QStringLiteral("127.0.0.1:%1").arg(*replica);
        QTRY_VERIFY_WITH_TIMEOUT(cell(shardRows, 0, 3) == promoted && cell(shardRows, 0, 4) == u"up", 20000);
        QTRY_VERIFY_WITH_TIMEOUT(view->summaryLabel()->text().contains(QStringLiteral("all 16,384 slots")), 10000);
    }
};

QTEST_MAIN(RedisPanelTest)
#include "tst_redis_panel.moc"
