// The dashboard in observer mode (presence --observe) over a real deployment: a real
// redis-server and a real headless node. The roster shows the node's clients as they come and
// go; simulation is off; switching keyspace notifications asks first, says it changes the
// server for everyone, and changes nothing when cancelled.
// PRESENCE_SCREENSHOT=file.png saves the window (run under xvfb-run to look at it).

#include "MainWindow.h"
#include "NodeProcess.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "UiTestBackend.h"
#include "observe/ObserverPanel.h"
#include "roster/RosterModel.h"
#include "settings/DashboardSettings.h"
#include "sim/SimulationPanel.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;
using presence::test::runCommand;

class ObserverWindowTest : public QObject {
    Q_OBJECT

    QByteArray keyspaceFlags(RedisConnection &admin)
    {
        const RedisReply reply = runCommand(admin, {"CONFIG", "GET", "notify-keyspace-events"});
        return reply.elements().value(1).toByteArray();
    }

private Q_SLOTS:
    void watchesTheDeploymentAndActsOnNothingUnasked()
    {
        RedisTestServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.errorString()));
        const QString url = QStringLiteral("redis://127.0.0.1:%1").arg(redis.port());
        NodeProcess node;
        QVERIFY2(node.start({QStringLiteral("--redis"), url, QStringLiteral("--heartbeat"), QStringLiteral("500ms"),
                             QStringLiteral("--grace"), QStringLiteral("0s"), QStringLiteral("--node-id"),
                             QStringLiteral("node-a")}),
                 node.log().constData());
        RedisConnection admin(redis.url());
        admin.open();
        QVERIFY(test::waitUntilUp(admin));
        QVERIFY(QTest::qWaitFor([&] { return keyspaceFlags(admin).contains('x'); }, 10000));

        Options options;
        options.observe = true;
        options.redisUrl = url;
        options.nodeId = QStringLiteral("observer-ui");
        PresenceBackend backend(options);
        QString error;
        QVERIFY2(backend.start(&error), qPrintable(error));
        QCOMPARE(backend.port(), quint16(0));
        QTemporaryDir dir;
        DashboardSettings settings(dir.filePath(QStringLiteral("settings.ini")));
        MainWindow window(backend, settings);
        window.resize(1400, 850);
        window.show();

        QVERIFY(window.windowTitle().contains(u"observing"));
        QVERIFY(!window.simulationPanel()->isEnabled());
        QVERIFY(!window.action(QStringLiteral("spawn"))->isEnabled());
        QVERIFY(!window.action(QStringLiteral("heartbeats"))->isEnabled());
        ObserverPanel *panel = window.observerPanel();
        QVERIFY(panel);
        QVERIFY(QTest::qWaitFor([&] { return panel->stateLabel()->text().contains(u"up"); }, 10000));

        SseTestClient alice, bob;
        alice.open(node.port(), "/alice?room=lobby");
        bob.open(node.port(), "/bob");
        QVERIFY(QTest::qWaitFor([&] { return window.rosterModel().counts().online == 2; }, 10000));
        bob.abort();
        QVERIFY(QTest::qWaitFor([&] { return window.rosterModel().counts().online == 1; }, 10000));
        QCOMPARE(window.rosterModel().counts().offline, 1);
        // Connection counts come from the shared roster (read through the observer each second).
        QVERIFY(QTest::qWaitFor([&] { return window.rosterModel().counts().connections == 1; }, 10000));

        // The switch asks first and names the consequence; Cancel leaves the server alone.
        QVERIFY(QTest::qWaitFor([&] { return panel->keyspaceButton()->isEnabled(); }, 10000));
        const QByteArray before = keyspaceFlags(admin);
        QString asked;
        QTimer::singleShot(0, this, [&asked] {
            if (!QTest::qWaitFor([] { return qobject_cast<QMessageBox *>(QApplication::activeModalWidget()); }, 5000))
                return; // `asked` stays empty: the check below fails
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                asked = box->text();
                box->button(QMessageBox::Cancel)->click();
            }
        });
        panel->keyspaceButton()->click();
        QVERIFY2(asked.contains(u"everyone"), qPrintable(asked));
        QVERIFY(asked.contains(u"notify-keyspace-events"));
        QCOMPARE(keyspaceFlags(admin), before);

        // Said yes to: the server's flags lose x (and only x), and the panel shows it.
        panel->switchExpiredEvents(false);
        QVERIFY(QTest::qWaitFor([&] { return !keyspaceFlags(admin).contains('x'); }, 10000));
        QVERIFY(QTest::qWaitFor([&] { return !panel->flagsLabel()->text().contains(u'x'); }, 10000));
        QVERIFY(keyspaceFlags(admin).contains('E'));

        const QString screenshot = qEnvironmentVariable("PRESENCE_SCREENSHOT");
        if (!screenshot.isEmpty()) {
            QVERIFY(window.grab().save(screenshot));
        }
    }
};

QTEST_MAIN(ObserverWindowTest)
#include "tst_observer_window.moc"
