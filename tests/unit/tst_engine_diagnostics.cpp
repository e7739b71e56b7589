// The diagnostics value type on the memory engine, the alerts it calls for, and how /metrics
// renders both (every metric the example Prometheus rules use must be one we export).
#include "ManualClock.h"
#include "engine/Alerts.h"
#include "engine/DiagnosticsMonitor.h"
#include "engine/MemoryPresenceEngine.h"
#include "http/DiagnosticsJson.h"
#include "http/Metrics.h"
#include "redis/TopologyReply.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace presence;
using namespace presence::test;

namespace {
EngineDiagnostics healthy()
{
    EngineDiagnostics d;
    d.valid = true;
    d.engine = QStringLiteral("redis");
    d.node = QStringLiteral("a");
    d.takenAtMs = 1'800'000'000'000;
    d.ttlMs = 7500;
    d.processors.known = true;
    NodeStatus a;
    a.id = QStringLiteral("a");
    a.alive = true;
    a.lastSeenMs = d.takenAtMs - 1000;
    d.nodes = {a};
    return d;
}

bool has(const QList<Alert> &alerts, AlertKind kind)
{
    return std::any_of(alerts.cbegin(), alerts.cend(),
                       [kind](const Alert &a) { return a.kind == kind; });
}
} // namespace

class TestEngineDiagnostics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void memoryEngineReportsItselfAndItsTimeouts()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{1000, 1.5, 0}, QStringLiteral("solo"));
        engine.setSessionCount(3);
        const RoomMember alice{RoomName{}, *ClientId::fromString(QStringLiteral("alice"))};
        const RoomMember bob{RoomName{}, *ClientId::fromString(QStringLiteral("bob"))};
        engine.setConnections(alice, 1);
        engine.heartbeat({bob});
        clock.advance(1500 + 40); // bob's deadline passed 40 ms ago
        engine.processDue();

        std::optional<EngineDiagnostics> read;
        QObject context;
        engine.readDiagnostics(&context, [&read](const EngineDiagnostics &d) { read = d; });
        QVERIFY(!read); // never before readDiagnostics returned
        QTRY_VERIFY(read.has_value());
        QVERIFY(read->valid);
        QCOMPARE(read->engine, QStringLiteral("memory"));
        QCOMPARE(read->nodes.size(), 1);
        QCOMPARE(read->nodes[0].id, QStringLiteral("solo"));
        QVERIFY(read->nodes[0].alive);
        QCOMPARE(read->nodes[0].sessions, 3);
        QCOMPARE(read->nodes[0].members, 1); // alice holds a connection; bob only heartbeated
        QCOMPARE(read->timeoutsRecent, 2); // both timed out (alice's connection sent no heartbeat)
        QCOMPARE(read->latenessSamples, 2);
        QCOMPARE(read->latenessP99Ms, 40);
    }

    void aDestroyedContextDropsTheCallback()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{}, QStringLiteral("solo"));
        bool called = false;
        auto context = std::make_unique<QObject>();
        engine.readDiagnostics(context.get(),
                               [&called](const EngineDiagnostics &) { called = true; });
        context.reset();
        QObject later;
        bool laterCalled = false;
        engine.readDiagnostics(&later,
                               [&laterCalled](const EngineDiagnostics &) { laterCalled = true; });
        QTRY_VERIFY(laterCalled); // the loop ran past where the first would have been delivered
        QVERIFY(!called);
    }

    void p99IsTheNearestRank()
    {
        EngineDiagnostics d;
        QList<TimeoutSample> samples;
        const qint64 now = 10'000'000;
        for (int i = 1; i <= 200; ++i)
            samples.append({now - 1000, i});                                    // 1..200 ms
        samples.append({now - EngineDiagnostics::latenessWindowMs - 1, 99999}); // too old
        summarizeTimeouts(d, samples, now);
        QCOMPARE(d.latenessSamples, 200);
        QCOMPARE(d.latenessP99Ms, 198);
        QCOMPARE(d.timeoutsRecent, 200);
    }

    void eachAlertHasItsCondition()
    {
        const AlertThresholds t;
        QVERIFY(evaluateAlerts(healthy(), t).isEmpty());
        QVERIFY(evaluateAlerts(EngineDiagnostics{}, t).isEmpty()); // not read yet: no alarm

        EngineDiagnostics down = healthy();
        down.storeOk = false;
        down.storeState = QStringLiteral("down");
        down.storeDetail = QStringLiteral("no reply within 3000 ms");
        const QList<Alert> downAlerts = evaluateAlerts(down, t);
        QVERIFY(has(downAlerts, AlertKind::RedisDown));
        QVERIFY(downAlerts[0].text.contains(QStringLiteral("no reply within 3000 ms")));

        EngineDiagnostics lag = healthy();
        lag.processors.behindMs = 3750; // exactly TTL/2: not yet
        QVERIFY(!has(evaluateAlerts(lag, t), AlertKind::ProcessorLag));
        lag.processors.behindMs = 3751;
        QVERIFY(has(evaluateAlerts(lag, t), AlertKind::ProcessorLag));

        EngineDiagnostics late = healthy();
        late.latenessP99Ms = t.latenessBoundMs;
        QVERIFY(!has(evaluateAlerts(late, t), AlertKind::OfflineLateness));
        late.latenessP99Ms = t.latenessBoundMs + 1;
        QVERIFY(has(evaluateAlerts(late, t), AlertKind::OfflineLateness));

        EngineDiagnostics died = healthy();
        NodeStatus b;
        b.id = QStringLiteral("b");
        b.lastSeenMs = died.takenAtMs - 20'000;
        died.nodes.append(b);
        died.consumers = {{QStringLiteral("b"), 7, 20'000, false}};
        const QList<Alert> diedAlerts = evaluateAlerts(died, t);
        QVERIFY(has(diedAlerts, AlertKind::NodeDied));
        QVERIFY(diedAlerts[0].text.contains(QStringLiteral("b (stopped")));
        QVERIFY(diedAlerts[0].text.contains(QStringLiteral("7 pending")));
        died.nodes[1].lastSeenMs = died.takenAtMs - t.nodeDeathShownMs - 1; // old news
        QVERIFY(!has(evaluateAlerts(died, t), AlertKind::NodeDied));

        EngineDiagnostics burst = healthy();
        burst.timeoutsRecent = t.timeoutBurst - 1;
        QVERIFY(!has(evaluateAlerts(burst, t), AlertKind::TimeoutBurst));
        burst.timeoutsRecent = t.timeoutBurst;
        QVERIFY(has(evaluateAlerts(burst, t), AlertKind::TimeoutBurst));
    }

    void monitorRaisesAndClears()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{1000, 1.5, 0}, QStringLiteral("solo"));
        AlertThresholds thresholds;
        thresholds.timeoutBurst = 2;
        DiagnosticsMonitor monitor(engine, thresholds, 60'000);
        QSignalSpy raised(&monitor, &DiagnosticsMonitor::alertRaised);
        QSignalSpy cleared(&monitor, &DiagnosticsMonitor::alertCleared);
        QSignalSpy updated(&monitor, &DiagnosticsMonitor::updated);
        monitor.start();
        QTRY_COMPARE(updated.count(), 1);
        QCOMPARE(raised.count(), 0);
        for (const char *name : {"a", "b"})
            engine.heartbeat(
                {RoomMember{RoomName{}, *ClientId::fromString(QString::fromLatin1(name))}});
        clock.advance(1600);
        engine.processDue();
        monitor.refresh();
        QTRY_COMPARE(raised.count(), 1);
        QCOMPARE(raised[0][0].value<Alert>().kind, AlertKind::TimeoutBurst);
        QVERIFY(monitor.isActive(AlertKind::TimeoutBurst));
        monitor.refresh();
        QTRY_COMPARE(updated.count(), 3);
        QCOMPARE(raised.count(), 1); // still active: raised once
        clock.advance(EngineDiagnostics::timeoutWindowMs + 1);
        monitor.refresh();
        QTRY_COMPARE(cleared.count(), 1);
        QVERIFY(!monitor.isActive(AlertKind::TimeoutBurst));
    }

    void metricsRenderNodesAndAlerts()
    {
        MetricsGauges gauges;
        gauges.diagnostics = healthy();
        gauges.processors.known = true;
        NodeStatus b;
        b.id = QStringLiteral("b");
        b.version = QStringLiteral("0.1.0");
        b.lastSeenMs = 1'799'999'990'000;
        b.heartbeatsPerSecond = 12.5;
        b.sessions = 4;
        gauges.diagnostics.nodes.append(b);
        gauges.diagnostics.consumers = {{QStringLiteral("b"), 3, 9000, false}};
        gauges.diagnostics.latenessP99Ms = 48;
        gauges.alerts = {{AlertKind::NodeDied, QStringLiteral("node died: b")}};
        const QByteArray text = renderPrometheus(Metrics{}, gauges);
        QVERIFY(text.contains("presence_alert{alert=\"node_died\"} 1\n"));
        QVERIFY(text.contains("presence_alert{alert=\"redis_down\"} 0\n"));
        QVERIFY(text.contains("presence_node_up{node=\"a\",version=\"\"} 1\n"));
        QVERIFY(text.contains("presence_node_up{node=\"b\",version=\"0.1.0\"} 0\n"));
        QVERIFY(text.contains("presence_node_sessions{node=\"b\"} 4\n"));
        QVERIFY(text.contains("presence_node_heartbeats_per_second{node=\"b\"} 12.5\n"));
        QVERIFY(
            text.contains("presence_node_last_seen_timestamp_seconds{node=\"b\"} 1799999990\n"));
        QVERIFY(text.contains("presence_nodes{state=\"dead\"} 1\n"));
        QVERIFY(text.contains("presence_dead_node_consumers 1\n"));
        QVERIFY(text.contains("presence_dead_node_pending_entries 3\n"));
        QVERIFY(text.contains("presence_offline_lateness_p99_ms 48\n"));

        // Every presence_* metric the example rules use is one a node exports.
        QFile rules(QStringLiteral(PRESENCE_RULES_FILE));
        QVERIFY2(rules.open(QIODevice::ReadOnly), PRESENCE_RULES_FILE);
        const QString source = QString::fromUtf8(rules.readAll());
        static const QRegularExpression metric(QStringLiteral("\\b(presence_[a-z_0-9]+)"));
        int used = 0;
        for (const QRegularExpressionMatch &m : metric.globalMatch(source)) {
            const QByteArray name = m.captured(1).toUtf8();
            if (name == "presence_rules") // the file's own name in its comments
                continue;
            ++used;
            QVERIFY2(text.contains("# TYPE " + name + ' '), name.constData());
        }
        QVERIFY(used >= 6);
    }

    // A primary's ROLE: its replicas with how far behind each acknowledged; anything else
    // (a refusal, a replica's ROLE) says so and lists none.
    void roleNamesTheReplicas()
    {
        StoreTopology topology;
        parseRoleReply(
            RedisReply::array({RedisReply::string("master"), RedisReply::integer(1000),
                               RedisReply::array({RedisReply::array(
                                   {RedisReply::string("127.0.0.1"), RedisReply::string("6381"),
                                    RedisReply::string("990")})})}),
            topology);
        QCOMPARE(topology.role, QStringLiteral("master"));
        QCOMPARE(topology.replicas, (QList<StoreReplica>{{QStringLiteral("127.0.0.1:6381"), 10}}));
        StoreTopology replica;
        parseRoleReply(
            RedisReply::array({RedisReply::string("slave"), RedisReply::string("127.0.0.1"),
                               RedisReply::integer(6380), RedisReply::string("connected"),
                               RedisReply::integer(5)}),
            replica);
        QCOMPARE(replica.role, QStringLiteral("slave"));
        QVERIFY(replica.replicas.isEmpty());
        StoreTopology refused;
        parseRoleReply(
            RedisReply::error("NOPERM this user has no permissions to run the 'role' command"),
            refused);
        QVERIFY(refused.role.isEmpty());
        QVERIFY(refused.roleError.startsWith(u"NOPERM"));
    }

    // The topology in /api/nodes and /metrics (presence_redis_replicas only once ROLE answered).
    void topologyRendersInJsonAndMetrics()
    {
        EngineDiagnostics d = healthy();
        d.topology.known = true;
        d.topology.server = QStringLiteral("127.0.0.1:6380");
        d.topology.role = QStringLiteral("master");
        d.topology.replicas = {{QStringLiteral("127.0.0.1:6381"), 0},
                               {QStringLiteral("127.0.0.1:6382"), 42}};
        d.topology.sentinels = {QStringLiteral("127.0.0.1:26379"),
                                QStringLiteral("127.0.0.1:26380")};
        d.topology.answeringSentinel = QStringLiteral("127.0.0.1:26380");
        d.topology.tls = true;
        d.topology.tlsMutual = true;
        const QJsonObject json = nodesToJson(d, {}).value(QStringLiteral("topology")).toObject();
        QCOMPARE(json.value(QStringLiteral("server")).toString(), QStringLiteral("127.0.0.1:6380"));
        QCOMPARE(json.value(QStringLiteral("replicas")).toArray().size(), 2);
        QCOMPARE(json.value(QStringLiteral("replicas"))
                     .toArray()[1]
                     .toObject()
                     .value(QStringLiteral("lagBytes"))
                     .toInteger(),
                 42);
        QCOMPARE(json.value(QStringLiteral("sentinels")).toArray().size(), 2);
        QCOMPARE(json.value(QStringLiteral("answeringSentinel")).toString(),
                 QStringLiteral("127.0.0.1:26380"));
        QVERIFY(
            json.value(QStringLiteral("tls")).toObject().value(QStringLiteral("mutual")).toBool());
        MetricsGauges gauges;
        gauges.diagnostics = d;
        QVERIFY(renderPrometheus(Metrics{}, gauges).contains("presence_redis_replicas 2\n"));
        gauges.diagnostics.topology.role.clear(); // ROLE not answered: no figure rather than 0
        QVERIFY(!renderPrometheus(Metrics{}, gauges).contains("presence_redis_replicas"));
        QVERIFY(nodesToJson(EngineDiagnostics{}, {}).value(QStringLiteral("topology")).isNull());
    }

    // A cluster's primaries and shards in /api/nodes ("cluster") and /metrics; null and no
    // cluster figures off a cluster.
    void clusterRendersInJsonAndMetrics()
    {
        EngineDiagnostics d = healthy();
        d.engine = QStringLiteral("redis-cluster");
        d.cluster.known = true;
        d.cluster.uncoveredSlots = 5461;
        d.cluster.askRedirects = 7;
        ClusterPrimaryStatus primary;
        primary.node = {QStringLiteral("127.0.0.1:7001"), QStringLiteral("online"), -1};
        primary.slots = QStringLiteral("0-5460");
        primary.slotCount = 5461;
        primary.presenceShards = 5;
        primary.keys = 63;
        primary.replicas = {{QStringLiteral("127.0.0.1:7004"), QStringLiteral("online"), 120}};
        d.cluster.primaries = {primary};
        ClusterShardStatus shard;
        shard.index = 3;
        shard.tag = QStringLiteral("{presence-21}");
        shard.slot = 2948;
        shard.primary = QStringLiteral("127.0.0.1:7001");
        shard.state = QStringLiteral("connecting");
        shard.online = 4;
        shard.processors.known = true;
        shard.processors.lag = 12;
        d.cluster.shards = {shard};
        const QJsonObject json = nodesToJson(d, {}).value(QStringLiteral("cluster")).toObject();
        QCOMPARE(json.value(QStringLiteral("uncoveredSlots")).toInt(), 5461);
        QCOMPARE(json[u"redirects"][u"ask"].toInteger(), 7);
        const QJsonObject p = json[u"primaries"].toArray().first().toObject();
        QCOMPARE(p[u"address"].toString(), QStringLiteral("127.0.0.1:7001"));
        QCOMPARE(p[u"keys"].toInteger(), 63);
        QCOMPARE(p[u"presenceShards"].toInt(), 5);
        QCOMPARE(p[u"replicas"].toArray().first()[u"lagBytes"].toInteger(), 120);
        const QJsonObject s = json[u"shards"].toArray().first().toObject();
        QCOMPARE(s[u"tag"].toString(), QStringLiteral("{presence-21}"));
        QCOMPARE(s[u"slot"].toInt(), 2948);
        QCOMPARE(s[u"online"].toInteger(), 4);
        QCOMPARE(s[u"processors"][u"lag"].toInteger(), 12);

        MetricsGauges gauges;
        gauges.diagnostics = d;
        const QByteArray metrics = renderPrometheus(Metrics{}, gauges);
        QVERIFY(metrics.contains("presence_cluster_slots_unserved 5461\n"));
        QVERIFY(metrics.contains("presence_cluster_shard_up{shard=\"3\"} 0\n"));
        QVERIFY(metrics.contains("presence_cluster_shard_processor_lag{shard=\"3\"} 12\n"));
        QVERIFY(metrics.contains("presence_dead_node_consumers")); // a cluster is Redis too
        QVERIFY(nodesToJson(healthy(), {}).value(QStringLiteral("cluster")).isNull());
        gauges.diagnostics = healthy();
        QVERIFY(!renderPrometheus(Metrics{}, gauges).contains("presence_cluster"));
    }
};

QTEST_GUILESS_MAIN(TestEngineDiagnostics)
#include "tst_engine_diagnostics.moc"
