// Developer tool, not a test: the dashboard as an operator console over a two-node deployment
// on one private redis-server: clients on both nodes, then the second node stops dead (its
// backend torn down without a word, as kill -9 would) with its clients timing out, and the Nodes
// view raised. Saves QWidget::grab() of the window to the file given. Run under Xvfb:
//   xvfb-run -a -s "-screen 0 1600x1000x24" presence_console_screenshot out.png
#include "MainWindow.h"
#include "app/PresenceBackend.h"
#include "settings/DashboardSettings.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QApplication>
#include <QDockWidget>
#include <QTemporaryDir>
#include <QTimer>

using namespace presence;

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    if (argc < 2) {
        qCritical("usage: presence_console_screenshot OUTPUT.png");
        return 2;
    }
    const QString output = QString::fromLocal8Bit(argv[1]);
    Options options;
    options.listenPort = 0;
    options.timing.heartbeatMs = 1000;
    options.timing.graceMs = 1000;
    options.nodeId = QStringLiteral("console-1");
    PresenceBackend backend(options);
    QString error;
    if (!backend.start(&error)) {
        qCritical().noquote() << error;
        return 1;
    }
    Options second = options;
    second.nodeId = QStringLiteral("console-2");
    second.redisUrl = backend.redisAddress();
    auto other = std::make_unique<PresenceBackend>(second);
    if (!other->start(&error)) {
        qCritical().noquote() << error;
        return 1;
    }
    QTemporaryDir dir;
    DashboardSettings settings(dir.filePath(QStringLiteral("settings.ini")));
    auto window = std::make_unique<MainWindow>(backend, settings);
    window->resize(1600, 1000);
    window->show();

    SimulationPanel &simulation = *window->simulationPanel();
    SimulatedClientPool otherClients;
    otherClients.setTarget(QUrl(other->baseUrl()), false);
    QTimer::singleShot(500, &app, [&] {
        simulation.pool().spawn(40, QStringLiteral("here-{n}"));
        otherClients.spawn(25, QStringLiteral("there-{n}"));
    });
    // console-2 stops publishing: its clients' streams die with it (no FIN from a killed
    // process is the same to Redis: their heartbeats stop).
    QTimer::singleShot(4000, &app, [&] {
        otherClients.applyToShare(SimulatedClientPool::Action::Crash, 1.0);
        other.reset();
    });
    QTimer::singleShot(4500, &app, [&] {
        if (auto *nodes = window->findChild<QDockWidget *>(QStringLiteral("nodesDock")))
            nodes->raise();
    });
    QTimer::singleShot(9000, &app, [&] {
        const bool saved = window->grab().save(output);
        qInfo().noquote() << (saved ? "saved" : "could not save") << output;
        app.exit(saved ? 0 : 1);
    });
    const int code = app.exec();
    window.reset();
    backend.shutdown();
    return code;
}
