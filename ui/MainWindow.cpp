#include "MainWindow.h"

#include "AppIcon.h"
#include "alerts/AlertBanner.h"
#include "app/PresenceBackend.h"
#include "charts/ActivityHistory.h"
#include "charts/ChartsPanel.h"
#include "log/EventLogModel.h"
#include "log/EventLogPanel.h"
#include "observe/ObserverPanel.h"
#include "nodes/NodesPanel.h"
#include "redis/RedisPanel.h"
#include "roster/RosterModel.h"
#include "roster/RosterPanel.h"
#include "settings/DashboardSettings.h"
#include "settings/SettingsDialog.h"
#include "sim/SimulationPanel.h"

#include <QAction>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QScreen>
#include <QStatusBar>
#include <QVBoxLayout>

namespace presence {

MainWindow::MainWindow(PresenceBackend &backend, DashboardSettings &settings, QWidget *parent)
    : QMainWindow(parent)
    , m_backend(backend)
    , m_settings(settings)
    , m_rosterModel(new RosterModel(backend.engine(), this))
    , m_logModel(new EventLogModel(backend.engine(), 5000, this))
    , m_history(new ActivityHistory(
          backend.engine(), [this] { return m_rosterModel->counts().online; }, 300, 1000, this))
    , m_roster(new RosterPanel(*m_rosterModel, this))
    , m_log(new EventLogPanel(*m_logModel, this))
    , m_charts(new ChartsPanel(*m_history, this))
    , m_simulation(new SimulationPanel(backend.localClients(), backend.baseUrl(), this))
    , m_redis(new RedisPanel(backend, this))
    , m_nodes(new NodesPanel(backend.diagnostics(), this))
    , m_alerts(new AlertBanner(backend.diagnostics(), this))
    , m_statusNode(new QLabel(this))
    , m_statusSessions(new QLabel(this))
    , m_statusHeartbeats(new QLabel(this))
{
    setWindowTitle(tr("presence — node %1").arg(backend.nodeId()));
    setWindowIcon(appIcon());
    connect(m_rosterModel, &RosterModel::timeoutDetected, m_history, &ActivityHistory::addLateness);

    // The alert banner above the roster: seen without looking for it. Each alert raised or
    // cleared is also a line in the event log.
    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->addWidget(m_alerts);
    centralLayout->addWidget(m_roster, 1);
    setCentralWidget(central);
    connect(&backend.diagnostics(), &DiagnosticsMonitor::alertRaised, m_logModel,
            [this](const Alert &alert) {
                m_logModel->addAlertLine(alertName(alert.kind) + QStringLiteral(": ") + alert.text,
                                         QDateTime::currentMSecsSinceEpoch());
            });
    connect(&backend.diagnostics(), &DiagnosticsMonitor::storeMoved, m_logModel,
            [this](const QString &, const QString &to) {
                m_logModel->addAlertLine(tr("Redis failover: now on %1").arg(to),
                                         QDateTime::currentMSecsSinceEpoch());
            });
    connect(&backend.diagnostics(), &DiagnosticsMonitor::alertCleared, m_logModel,
            [this](const Alert &alert) {
                m_logModel->addAlertLine(tr("%1 cleared").arg(alertName(alert.kind)),
                                         QDateTime::currentMSecsSinceEpoch());
            });
    setDockNestingEnabled(true);
    m_simulationDock = addPanel(tr("Simulation"), QStringLiteral("simulation"), m_simulation,
                                Qt::RightDockWidgetArea);
    m_redisDock = addPanel(tr("Redis"), QStringLiteral("redis"), m_redis, Qt::RightDockWidgetArea);
    tabifyDockWidget(m_simulationDock, m_redisDock);
    m_simulationDock->raise();
    m_chartsDock = addPanel(tr("Charts"), QStringLiteral("charts"), m_charts, Qt::BottomDockWidgetArea);
    m_logDock = addPanel(tr("Event log"), QStringLiteral("log"), m_log, Qt::BottomDockWidgetArea);
    splitDockWidget(m_chartsDock, m_logDock, Qt::Horizontal);
    // The nodes table wants width (ten columns): a tab beside the charts, not the narrow column.
    m_nodesDock = addPanel(tr("Nodes"), QStringLiteral("nodes"), m_nodes, Qt::BottomDockWidgetArea);
    tabifyDockWidget(m_chartsDock, m_nodesDock);
    m_chartsDock->raise();
    // The docks take the bottom corners so the roster gets the full remaining height.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    buildMenus();
    if (backend.isObserver())
        becomeObserver();
    statusBar()->addWidget(m_statusNode, 1);
    statusBar()->addPermanentWidget(m_statusHeartbeats);
    statusBar()->addPermanentWidget(m_statusSessions);
    m_statusSessions->setToolTip(tr("Open SSE streams of this node, whatever rooms they joined; "
                                    "the roster's connections count each member over every node"));
    connect(&backend.realtime(), &RealtimeServer::sessionCountChanged, this,
            &MainWindow::updateStatus);
    connect(&backend.localClients(), &LocalClients::heartbeatsPausedChanged, this,
            &MainWindow::updateStatus);
    connect(&backend.engine(), &PresenceEngine::healthChanged, this, &MainWindow::updateStatus);
    connect(&backend.realtime(), &RealtimeServer::sessionClosed, this, &MainWindow::updateStatus);
    updateStatus();

    // A sensible first size: most of the screen, capped where wider stops helping.
    const QRect available = screen() ? screen()->availableGeometry() : QRect(0, 0, 1600, 1000);
    resize(std::min(available.width() * 9 / 10, 1600), std::min(available.height() * 9 / 10, 1000));
    resizeDocks({m_simulationDock}, {width() / 4}, Qt::Horizontal);
    resizeDocks({m_chartsDock}, {height() * 2 / 7}, Qt::Vertical);
    // The log's columns (id, time, client, room, status, reason, node) need more than the charts.
    resizeDocks({m_chartsDock, m_logDock}, {width() * 9 / 20, width() * 11 / 20}, Qt::Horizontal);
    restoreGeometry(m_settings.windowGeometry());
    restoreState(m_settings.windowState());
}

MainWindow::~MainWindow() = default;

QDockWidget *MainWindow::addPanel(const QString &title, const QString &name, QWidget *panel,
                                  Qt::DockWidgetArea area)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(name + QStringLiteral("Dock")); // saveState() needs names
    dock->setWidget(panel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                      | QDockWidget::DockWidgetClosable);
    addDockWidget(area, dock);
    return dock;
}

QAction *MainWindow::action(const QString &name) const
{
    return findChild<QAction *>(name);
}

void MainWindow::buildMenus()
{
    auto add = [this](QMenu *menu, const QString &name, const QString &text,
                      const QKeySequence &shortcut, auto slot) {
        QAction *action = menu->addAction(text);
        action->setObjectName(name);
        action->setShortcut(shortcut);
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, slot);
        return action;
    };
    QMenu *file = menuBar()->addMenu(tr("&File"));
    add(file, QStringLiteral("settings"), tr("&Settings…"), QKeySequence(tr("Ctrl+,")),
        [this] { openSettings(); });
    file->addSeparator();
    add(file, QStringLiteral("quit"), tr("&Quit"), QKeySequence::Quit, [this] { close(); });

    QMenu *roster = menuBar()->addMenu(tr("&Roster"));
    add(roster, QStringLiteral("filter"), tr("&Filter…"), QKeySequence::Find,
        [this] { m_roster->focusFilter(); });
    add(roster, QStringLiteral("copyRoster"), tr("&Copy selected rows"), QKeySequence(tr("Ctrl+Shift+C")),
        [this] { m_roster->copySelection(); });

    QMenu *simulate = menuBar()->addMenu(tr("&Simulate"));
    add(simulate, QStringLiteral("spawn"), tr("&Spawn clients"), QKeySequence::New, [this] {
        m_simulationDock->show();
        m_simulationDock->raise();
        m_simulation->spawn();
    });
    add(simulate, QStringLiteral("heartbeats"), tr("Pause/resume &heartbeats"),
        QKeySequence(tr("Ctrl+Shift+H")), [this] { m_simulation->toggleHeartbeats(); });

    QMenu *log = menuBar()->addMenu(tr("&Log"));
    add(log, QStringLiteral("pauseLog"), tr("&Pause/resume the log"), QKeySequence(tr("Ctrl+L")),
        [this] { m_log->togglePaused(); });
    add(log, QStringLiteral("refreshRedis"), tr("&Refresh Redis figures"), QKeySequence::Refresh,
        [this] { m_redis->refresh(); });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    int number = 1;
    for (QDockWidget *dock : {m_simulationDock, m_redisDock, m_chartsDock, m_logDock, m_nodesDock}) {
        QAction *toggle = dock->toggleViewAction();
        toggle->setShortcut(QKeySequence(tr("Ctrl+%1").arg(number++)));
        view->addAction(toggle);
    }
}

// Watching a deployment: nothing here may act on it. Simulation is off (its clients would join
// the deployment), the node-only Redis panel gives way to what is watched.
void MainWindow::becomeObserver()
{
    setWindowTitle(tr("presence — observing %1 (read-only)").arg(m_backend.observedTarget()));
    m_simulation->setEnabled(false);
    m_simulationDock->setWindowTitle(tr("Simulation (off while observing)"));
    for (const char *name : {"spawn", "heartbeats"})
        action(QString::fromLatin1(name))->setEnabled(false);
    action(QStringLiteral("refreshRedis"))->setEnabled(false);
    m_observer = new ObserverPanel(m_backend, this);
    m_redisDock->setWidget(m_observer);
    m_redisDock->setWindowTitle(tr("Observer"));
    m_redis->hide();
    m_redisDock->raise();
    m_statusHeartbeats->hide();
    m_statusSessions->hide();
}

void MainWindow::openSettings()
{
    SettingsDialog dialog(m_backend, m_settings, this);
    dialog.exec();
    updateStatus();
}

void MainWindow::updateStatus()
{
    const PresenceEngine::Health health = m_backend.engine().health();
    const PresenceTiming timing = m_backend.engine().timing();
    if (m_backend.isObserver()) {
        m_statusNode->setText(tr("Observing %1 · read-only · %2%3")
                                  .arg(m_backend.observedTarget(), health.state,
                                       health.ok ? QString() : QStringLiteral(": ") + health.detail));
        return;
    }
    m_statusNode->setText(
        tr("Node %1 · %2 engine (%3) · %4 · heartbeat %5 ms, TTL %6 ms, grace %7 ms")
            .arg(m_backend.nodeId(), m_backend.engine().kind(), health.state, m_backend.baseUrl())
            .arg(timing.heartbeatMs)
            .arg(timing.ttlMs())
            .arg(timing.graceMs));
    if (!m_backend.listenNote().isEmpty()) {
        m_statusNode->setText(m_statusNode->text() + QStringLiteral(" · ") +
                              tr("port %1 was taken").arg(m_backend.options().listenPort));
        m_statusNode->setToolTip(m_backend.listenNote());
    }
    m_statusHeartbeats->setText(m_backend.localClients().heartbeatsPaused()
                                    ? tr("<b style='color:#e07b24'>heartbeats paused</b>")
                                    : tr("heartbeats on"));
    QString streams = tr("%1 SSE streams on this node").arg(m_backend.realtime().sessionCount());
    // Streams the node ended itself, by why: the operator's view of truth at the edge.
    const Metrics &metrics = m_backend.metrics();
    QStringList dropped;
    if (metrics.sessionsDroppedDeadPeer > 0)
        dropped << tr("%1 dead peer").arg(metrics.sessionsDroppedDeadPeer);
    if (metrics.sessionsDroppedStalledReader > 0)
        dropped << tr("%1 stalled reader").arg(metrics.sessionsDroppedStalledReader);
    if (metrics.sessionsDroppedSlowReader > 0)
        dropped << tr("%1 slow reader").arg(metrics.sessionsDroppedSlowReader);
    if (metrics.sessionsDroppedWriteFailed > 0)
        dropped << tr("%1 failed write").arg(metrics.sessionsDroppedWriteFailed);
    if (!dropped.isEmpty())
        streams += tr(" · dropped: %1").arg(dropped.join(QStringLiteral(", ")));
    m_statusSessions->setText(streams);
    m_statusSessions->setToolTip(
        tr("Streams this node ended itself. Dead peer: its data went unacknowledged for the peer "
           "timeout (a network that vanished). Stalled reader: its receive window stayed shut "
           "for the peer timeout (an app that stopped reading). Slow reader: its live backlog "
           "passed the limits."));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_settings.saveWindow(saveGeometry(), saveState());
    QMainWindow::closeEvent(event);
}

} // namespace presence
