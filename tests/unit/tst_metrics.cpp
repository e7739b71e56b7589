#include "http/Metrics.h"

#include <QTest>

using namespace presence;

class TestMetrics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rendersPrometheusText()
    {
        Metrics metrics;
        metrics.sessionsOpened = 3;
        metrics.sessionsDroppedSlowReader = 1;
        PresenceEvent event;
        event.status = PresenceStatus::Offline;
        event.reason = QStringLiteral("timeout");
        metrics.recordTransition(event);
        metrics.recordTransition(event);
        MetricsGauges gauges;
        gauges.sessions = 2;
        gauges.onlineClients = 5;
        gauges.engine = QStringLiteral("memory");
        gauges.node = QStringLiteral("host\"1");
        const QByteArray text = renderPrometheus(metrics, gauges);
        QVERIFY(text.contains("presence_sessions 2\n"));
        QVERIFY(text.contains("presence_online_clients 5\n"));
        QVERIFY(text.contains("presence_sessions_opened_total 3\n"));
        QVERIFY(text.contains("presence_sessions_dropped_total 1\n"));
        QVERIFY(text.contains("presence_transitions_total{status=\"OFFLINE\",reason=\"timeout\"} 2\n"));
        QVERIFY(text.contains("node=\"host\\\"1\"")); // label values escaped
        // Every sample line belongs to a family announced with # TYPE.
        for (const QByteArray &line : text.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            QByteArray name = line.left(line.indexOf(' '));
            if (name.contains('{'))
                name = name.left(name.indexOf('{'));
            QVERIFY2(text.contains("# TYPE " + name + ' '), line.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
