// The window as a whole: panels in place, shortcuts reach the backend, settings apply live and
// are remembered, charts draw.
#include "UiTestBackend.h"
#include "MainWindow.h"
#include "charts/ActivityHistory.h"
#include "charts/ChartsPanel.h"
#include "charts/Histogram.h"
#include "log/EventLogModel.h"
#include "log/EventLogPanel.h"
#include "roster/RosterPanel.h"
#include "sim/SimulationPanel.h"
#include "settings/DashboardSettings.h"
#include "settings/SettingsDialog.h"

#include <QAction>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace presence;
using namespace presence::test;

class MainWindowTest : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<PresenceBackend> m_backend;
    std::unique_ptr<DashboardSettings> m_settings;

    QString settingsFile() const { return m_dir.filePath(QStringLiteral("presence.ini")); }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        m_backend = startBackend(uiTestOptions(), &error);
        QVERIFY2(m_backend, qPrintable(error));
        m_settings = std::make_unique<DashboardSettings>(settingsFile());
    }
    void cleanup()
    {
        m_backend.reset();
        m_settings.reset();
    }

    void opensWithEveryPanelAndASensibleSize()
    {
        MainWindow window(*m_backend, *m_settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.width() >= 800 && window.height() >= 600);
        QVERIFY(window.windowTitle().contains(QStringLiteral("ui-test")));
        QVERIFY(!window.windowIcon().isNull());
        for (QWidget *panel : {static_cast<QWidget *>(window.rosterPanel()),
                               static_cast<QWidget *>(window.logPanel()),
                               static_cast<QWidget *>(window.chartsPanel()),
                               static_cast<QWidget *>(window.simulationPanel())})
            QVERIFY(panel->isVisible());
        QVERIFY(!window.grab().isNull());
    }

    void shortcutsReachTheBackend()
    {
        MainWindow window(*m_backend, *m_settings);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(!m_backend->localClients().heartbeatsPaused());
        QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+Shift+H")));
        QVERIFY(m_backend->localClients().heartbeatsPaused());
        QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+Shift+H")));
        QVERIFY(!m_backend->localClients().heartbeatsPaused());

        QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+L")));
        QVERIFY(window.logModel().isPaused());
        QTest::keySequence(&window, QKeySequence(QStringLiteral("Ctrl+L")));
        QVERIFY(!window.logModel().isPaused());

        QTest::keySequence(&window, QKeySequence::New); // spawns the pattern's default count
        QTRY_COMPARE_WITH_TIMEOUT(m_backend->realtime().sessionCount(), 50, 10000);

        QTest::keySequence(&window, QKeySequence::Find);
        QTRY_VERIFY(window.rosterPanel()->filterEdit()->hasFocus());
        QVERIFY(window.action(QStringLiteral("settings")));
        QCOMPARE(window.action(QStringLiteral("quit"))->shortcut(), QKeySequence(QKeySequence::Quit));
    }

    void settingsApplyLiveAndAreRemembered()
    {
        SettingsDialog dialog(*m_backend, *m_settings);
        dialog.heartbeatBox()->setValue(400);
        dialog.ttlFactorBox()->setValue(2.0);
        dialog.graceBox()->setValue(100);
        dialog.listenEdit()->setText(QStringLiteral("127.0.0.1:9123"));
        dialog.accept();
        const PresenceTiming timing = m_backend->engine().timing();
        QCOMPARE(timing.heartbeatMs, 400);
        QCOMPARE(timing.ttlMs(), 800);
        QCOMPARE(timing.graceMs, 100);

        DashboardSettings reread(settingsFile());
        Options options = reread.applyTo(Options{}, {});
        QCOMPARE(options.timing.heartbeatMs, 400);
        QCOMPARE(options.timing.ttlFactor, 2.0);
        QCOMPARE(options.listenPort, quint16(9123));
        // What the command line or environment gives explicitly wins over the remembered value.
        const QSet<QString> given = DashboardSettings::explicitOptions(
            {QStringLiteral("presence"), QStringLiteral("--heartbeat"), QStringLiteral("1s")},
            QProcessEnvironment());
        QVERIFY(given.contains(QStringLiteral("heartbeat")));
        Options fromCommandLine;
        fromCommandLine.timing.heartbeatMs = 1000;
        QCOMPARE(reread.applyTo(fromCommandLine, given).timing.heartbeatMs, 1000);
    }

    void aTakenPortMovesTheDashboardButNotAServer()
    {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        Options options = uiTestOptions();
        options.listenPort = squatter.serverPort();

        QString error;
        PresenceBackend server(options); // as --headless: fails loudly
        QVERIFY(!server.start(&error));
        QVERIFY2(error.contains(QString::number(squatter.serverPort())), qPrintable(error));

        PresenceBackend dashboard(options);
        dashboard.setFreePortFallback(true);
        QVERIFY2(dashboard.start(&error), qPrintable(error));
        QVERIFY(dashboard.port() != 0 && dashboard.port() != squatter.serverPort());
        QVERIFY2(dashboard.listenNote().contains(QString::number(squatter.serverPort())) &&
                     dashboard.listenNote().contains(QString::number(dashboard.port())),
                 qPrintable(dashboard.listenNote()));
        MainWindow window(dashboard, *m_settings);
        bool said = false;
        for (const QLabel *label : window.statusBar()->findChildren<QLabel *>())
            said = said || label->text().contains(
                               QStringLiteral("port %1 was taken").arg(squatter.serverPort()));
        QVERIFY(said);
        // Settings remember the address asked for, not the port fallen back to.
        DashboardSettings nothingRemembered(m_dir.filePath(QStringLiteral("fresh.ini")));
        SettingsDialog dialog(dashboard, nothingRemembered);
        QCOMPARE(dialog.listenEdit()->text(),
                 QStringLiteral("127.0.0.1:%1").arg(squatter.serverPort()));
        // The fallback is only for a port that cannot be had: a free one is used as asked.
        QVERIFY(m_backend->listenNote().isEmpty());
    }

    void settingsShowWhereTheNodeStores()
    {
        SettingsDialog dialog(*m_backend, *m_settings);
        QCOMPARE(dialog.engineLabel()->text(), QStringLiteral("memory (asked for: memory)"));
        QCOMPARE(dialog.redisLabel()->text(), QStringLiteral("none (in-memory engine)"));
        QCOMPARE(dialog.prefixLabel()->text(), QStringLiteral("none"));
        QVERIFY(dialog.engineLabel()->toolTip().contains(QStringLiteral("next start")));
    }

    void chartsFollowTheHistory()
    {
        MainWindow window(*m_backend, *m_settings);
        m_backend->localClients().open(*ClientId::fromString(QStringLiteral("charted")));
        QTRY_COMPARE_WITH_TIMEOUT(window.history().online().isEmpty() ? 0.0 : window.history().online().last(), 1.0, 5000);
        window.history().addLateness(120);
        window.history().addLateness(80);
        QCOMPARE(window.history().lateness().size(), 2);
        QVERIFY(!window.chartsPanel()->grab().isNull());

        const Histogram::Bins bins = Histogram::bin({0, 5, 12, 99, 250});
        QCOMPARE(bins.start, 0);
        int total = 0;
        for (int count : bins.counts)
            total += count;
        QCOMPARE(total, 5);
        QVERIFY(bins.start + bins.width * bins.counts.size() > 250);
        const Histogram::Bins negative = Histogram::bin({-30, 10});
        QVERIFY(negative.start <= -30);
    }
};

QTEST_MAIN(MainWindowTest)
#include "tst_main_window.moc"
