// The Redis panel over a real redis-server: state, the keyspace toggle (which merges flags),
// CONFIG refused, stream and group figures, nodes; and crashes time out through Redis too.
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "UiTestBackend.h"
#include "engine/DiagnosticsMonitor.h"
#include "redis/RedisPanel.h"
#include "redis/RedisPresenceEngine.h"
#include "roster/RosterModel.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QCheckBox>
#include <QLabel>
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
};

QTEST_MAIN(RedisPanelTest)
#include "tst_redis_panel.moc"
