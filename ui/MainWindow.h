#pragma once

#include <QMainWindow>

class QAction;
class QDockWidget;
class QLabel;

namespace presence {

class ActivityHistory;
class AlertBanner;
class NodesPanel;
class ChartsPanel;
class DashboardSettings;
class EventLogModel;
class EventLogPanel;
class ObserverPanel;
class PresenceBackend;
class RedisPanel;
class RosterModel;
class RosterPanel;
class SimulationPanel;

// The operator dashboard over one node: the roster in the middle, simulation and Redis on the
// right, charts and the event log below (all docks, so operators can rearrange them; the
// layout is remembered). The backend comes in by reference and outlives the window.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(PresenceBackend &backend, DashboardSettings &settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    RosterModel &rosterModel() { return *m_rosterModel; }
    EventLogModel &logModel() { return *m_logModel; }
    ActivityHistory &history() { return *m_history; }
    RosterPanel *rosterPanel() const { return m_roster; }
    EventLogPanel *logPanel() const { return m_log; }
    ChartsPanel *chartsPanel() const { return m_charts; }
    SimulationPanel *simulationPanel() const { return m_simulation; }
    RedisPanel *redisPanel() const { return m_redis; }
    // Observer mode (presence --observe) only; null on a node.
    ObserverPanel *observerPanel() const { return m_observer; }
    NodesPanel *nodesPanel() const { return m_nodes; }
    AlertBanner *alertBanner() const { return m_alerts; }
    // The action with this objectName (tests trigger shortcuts through them).
    QAction *action(const QString &name) const;

    void openSettings();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QDockWidget *addPanel(const QString &title, const QString &name, QWidget *panel,
                          Qt::DockWidgetArea area);
    void buildMenus();
    void updateStatus();
    void becomeObserver();

    PresenceBackend &m_backend;
    DashboardSettings &m_settings;
    RosterModel *m_rosterModel;
    EventLogModel *m_logModel;
    ActivityHistory *m_history;
    RosterPanel *m_roster;
    EventLogPanel *m_log;
    ChartsPanel *m_charts;
    SimulationPanel *m_simulation;
    RedisPanel *m_redis;
    ObserverPanel *m_observer = nullptr;
    NodesPanel *m_nodes;
    AlertBanner *m_alerts;
    QDockWidget *m_logDock = nullptr;
    QDockWidget *m_chartsDock = nullptr;
    QDockWidget *m_simulationDock = nullptr;
    QDockWidget *m_redisDock = nullptr;
    QDockWidget *m_nodesDock = nullptr;
    QLabel *m_statusNode;
    QLabel *m_statusSessions;
    QLabel *m_statusHeartbeats;
};

} // namespace presence
