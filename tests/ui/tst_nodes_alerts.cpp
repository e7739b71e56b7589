// The Nodes view and the alerts in the real window, over a real redis-server shared with a real
// node process: the peer listed with its figures, killed with -9 (dead, in red, a banner and a
// log line), then Redis stopped (redis_down in the banner), and the dashboard's own Redis cost.
#include "MainWindow.h"
#include "NodeProcess.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "UiTestBackend.h"
#include "alerts/AlertBanner.h"
#include "log/EventLogModel.h"
#include "nodes/NodesModel.h"
#include "nodes/NodesPanel.h"
#include "settings/DashboardSettings.h"

#include <QColor>
#include <QLabel>
#include <QTemporaryDir>
#include <QTest>

using namespace presence;
using namespace presence::test;

namespace {
int alertLines(EventLogModel &log, const QString &containing)
{
    int count = 0;
    for (int row = 0; row < log.rowCount(); ++row) {
        const PresenceEvent &line = log.event(row);
        count += EventLogModel::isAlertLine(line) && line.reason.contains(containing);
    }
    return count;
}
} // namespace

class NodesAlertsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aKilledPeerAndAStoppedRedisReachTheOperator()
    {
        RedisTestServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        QTemporaryDir dir;
        DashboardSettings settings(dir.filePath(QStringLiteral("presence.ini")));
        QString error;
        auto backend = startBackend(uiTestOptions(server.url().toDisplayString()), &error);
        QVERIFY2(backend, qPrintable(error));
        NodeProcess peer;
        QVERIFY2(peer.start({QStringLiteral("--redis"), server.url().toDisplayString(),
                             QStringLiteral("--node-id"), QStringLiteral("ui-peer"),
                             QStringLiteral("--heartbeat"), QStringLiteral("200ms")}),
                 peer.log().constData());

        MainWindow window(*backend, settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        NodesModel &nodes = window.nodesPanel()->model();
        QTRY_VERIFY_WITH_TIMEOUT(nodes.rowOf(QStringLiteral("ui-peer")) >= 0 &&
                                     nodes.rowOf(QStringLiteral("ui-test")) >= 0,
                                 10000);
        QVERIFY(!window.alertBanner()->isVisible());
        auto cell = [&nodes](const QString &node, int column, int role = Qt::DisplayRole) {
            return nodes.data(nodes.index(nodes.rowOf(node), column), role);
        };
        QCOMPARE(cell(QStringLiteral("ui-peer"), NodesModel::StateColumn).toString(),
                 QStringLiteral("● alive"));
        QVERIFY(cell(QStringLiteral("ui-test"), NodesModel::NodeColumn)
                    .toString()
                    .contains(QStringLiteral("(here)")));
        QTRY_VERIFY_WITH_TIMEOUT(cell(QStringLiteral("ui-peer"), NodesModel::RoundTripColumn)
                                     .toString()
                                     .endsWith(QStringLiteral(" ms")),
                                 5000);
        QCOMPARE(cell(QStringLiteral("ui-peer"), NodesModel::VersionColumn).toString(),
                 QStringLiteral(PRESENCE_VERSION));

        // The dashboard's Redis cost: no SCAN of node keys (the old inspector's, every 2 s);
        // the figures come from the one FCALL_RO a second (counted in tst_nodes_api).
        RedisConnection probe(server.url());
        probe.open();
        QVERIFY(waitUntilUp(probe));
        const QByteArray stats = runCommand(probe, {"INFO", "commandstats"}).toByteArray();
        QVERIFY2(!stats.contains("cmdstat_scan:"), stats.constData());
        QVERIFY2(stats.contains("cmdstat_fcall_ro:"), stats.constData());

        peer.kill9();
        QTRY_VERIFY_WITH_TIMEOUT(cell(QStringLiteral("ui-peer"), NodesModel::StateColumn)
                                     .toString()
                                     .startsWith(QStringLiteral("✕ dead ")),
                                 10000);
        QCOMPARE(cell(QStringLiteral("ui-peer"), NodesModel::NodeColumn, Qt::ForegroundRole)
                     .value<QColor>(),
                 QColor(0xd6, 0x45, 0x45));
        QTRY_VERIFY_WITH_TIMEOUT(window.alertBanner()->isVisible(), 5000);
        QVERIFY(window.alertBanner()->text().contains(QStringLiteral("node_died")));
        QVERIFY(window.alertBanner()->text().contains(QStringLiteral("ui-peer")));
        QVERIFY(window.nodesPanel()->summary()->text().contains(QStringLiteral("1 dead")));
        QTRY_COMPARE_WITH_TIMEOUT(
            alertLines(window.logModel(), QStringLiteral("node died: ui-peer")), 1, 5000);
        window.grab().save(dir.filePath(QStringLiteral("nodes.png"))); // renders without a crash

        QVERIFY(server.stop());
        QTRY_VERIFY_WITH_TIMEOUT(
            window.alertBanner()->text().contains(QStringLiteral("redis_down")), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(alertLines(window.logModel(), QStringLiteral("redis_down")), 1,
                                  5000);
        // The nodes keep their rows while Redis is away (as last read), and the death stays told.
        QVERIFY(nodes.rowOf(QStringLiteral("ui-peer")) >= 0);
        QVERIFY(window.alertBanner()->text().contains(QStringLiteral("node_died")));
        QVERIFY(window.nodesPanel()->summary()->text().contains(QStringLiteral("Redis is away")));
        QVERIFY(server.restart());
        QTRY_VERIFY_WITH_TIMEOUT(
            !window.alertBanner()->text().contains(QStringLiteral("redis_down")), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(
            alertLines(window.logModel(), QStringLiteral("redis_down cleared")), 1, 5000);
    }
};

QTEST_MAIN(NodesAlertsTest)
#include "tst_nodes_alerts.moc"
