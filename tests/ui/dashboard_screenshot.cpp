// Developer tool, not a test: runs the real dashboard window over a real node (the embedded
// private redis-server when one is installed), spawns simulated clients over four rooms, starts
// churn and crashes a share of them in two waves, then saves QWidget::grab() of the window to the
// file given. Run under Xvfb:  xvfb-run -a -s "-screen 0 1600x1000x24"
// presence_dashboard_screenshot out.png With PRESENCE_REDIS=URL it runs on that Redis (a Sentinel
// group, say) and shows the Redis panel.
#include "MainWindow.h"
#include "app/PresenceBackend.h"
#include "roster/RosterModel.h"
#include "roster/RosterPanel.h"
#include "settings/DashboardSettings.h"
#include "sim/ChurnGenerator.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QApplication>
#include <QDateTime>
#include <QDockWidget>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>

using namespace presence;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    if (argc < 2) {
        qCritical("usage: presence_dashboard_screenshot OUTPUT.png");
        return 2;
    }
    const QString output = QString::fromLocal8Bit(argv[1]);
    Options options;
    options.listenPort = 0;
    options.timing.heartbeatMs = 1000;
    options.timing.ttlFactor = 3.0;
    options.timing.graceMs = 1000;
    options.nodeId = QStringLiteral("dash-1");
    options.redisUrl = qEnvironmentVariable("PRESENCE_REDIS");
    PresenceBackend backend(options);
    QString error;
    if (!backend.start(&error)) {
        qCritical().noquote() << error;
        return 1;
    }
    QTemporaryDir dir;
    DashboardSettings settings(dir.filePath(QStringLiteral("settings.ini")));
    auto window = std::make_unique<MainWindow>(backend, settings);
    window->resize(1600, 1000);
    window->show();

    SimulationPanel &simulation = *window->simulationPanel();
    SimulatedClientPool &pool = simulation.pool();
    simulation.roomsBox()->setValue(4);
    QTimer::singleShot(500, &app, [&] { pool.spawn(160, QStringLiteral("user-{n}")); });
    QTimer::singleShot(3000, &app, [&] {
        simulation.churn().setPattern(QStringLiteral("churn-{n}"));
        simulation.churn().setRates(4, 3);
        simulation.churn().start();
    });
    QTimer::singleShot(9000, &app, [&] { pool.applyToShare(SimulatedClientPool::Action::Crash, 0.12); });
    QTimer::singleShot(10000, &app, [&] { pool.applyToShare(SimulatedClientPool::Action::Freeze, 0.03); });
    if (!options.redisUrl.isEmpty()) {
        QTimer::singleShot(14000, &app, [&] {
            if (auto *redisDock = window->findChild<QDockWidget *>(QStringLiteral("redisDock")))
                redisDock->raise();
        });
    }
    QStringList secondWave;
    QTimer::singleShot(15000, &app, [&] {
        secondWave = pool.applyToShare(SimulatedClientPool::Action::Crash, 0.10);
        qInfo().noquote() << "crashed" << secondWave.join(QLatin1Char(' '));
    });
    // Soonest TTL deadline first: the clients crashed in the second wave, whose TTL is running
    // out with no connection left, lead the roster.
    window->rosterPanel()->view()->sortByColumn(RosterModel::TtlLeftColumn, Qt::AscendingOrder);
    QTimer::singleShot(16500, &app, [&] {
        for (const QString &name : std::as_const(secondWave)) {
            const SimulatedClient *client = pool.client(name);
            const RoomMember member{client->rooms().constFirst(), *ClientId::fromString(name)};
            if (const ClientPresence *row = window->rosterModel().find(member))
                qInfo().noquote() << name << member.room.toString() << statusText(row->status) << row->reason << row->deadlineMs - QDateTime::currentMSecsSinceEpoch() << row->connections;
        }
        const bool saved = window->grab().save(output);
        qInfo().noquote() << (saved ? "saved" : "could not save") << output;
        simulation.churn().stop();
        app.exit(saved ? 0 : 1);
    });
    const int code = app.exec();
    window.reset();
    backend.shutdown();
    return code;
}
