#pragma once

#include "SimulatedClientPool.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace presence {

class ChurnGenerator;
class LocalClients;
class SimulatedClientModel;

// The drop-out lab: spawn simulated SSE clients against this node or another URL, spread
// over K rooms, make some
// of them leave, crash, freeze or reconnect, run a churn generator, and pause this node's
// heartbeats (to Redis, the node then looks dead).
class SimulationPanel final : public QWidget {
    Q_OBJECT
public:
    SimulationPanel(LocalClients &localClients, const QString &thisNodeUrl,
                    QWidget *parent = nullptr);

    SimulatedClientPool &pool() { return *m_pool; }
    ChurnGenerator &churn() { return *m_churn; }

    QSpinBox *countBox() const { return m_count; }
    QSpinBox *roomsBox() const { return m_rooms; }
    QLineEdit *patternEdit() const { return m_pattern; }
    QComboBox *targetChoice() const { return m_target; }
    QLineEdit *urlEdit() const { return m_url; }
    QPushButton *spawnButton() const { return m_spawn; }
    QComboBox *scopeChoice() const { return m_scope; }
    QSpinBox *shareBox() const { return m_share; }
    QPushButton *actionButton(SimulatedClientPool::Action action) const;
    QDoubleSpinBox *joinsBox() const { return m_joins; }
    QDoubleSpinBox *leavesBox() const { return m_leaves; }
    QPushButton *churnButton() const { return m_churnButton; }
    QPushButton *heartbeatButton() const { return m_heartbeats; }
    QTableView *view() const { return m_view; }

    void spawn();
    void toggleHeartbeats();

private:
    QWidget *buildSpawnBox();
    QWidget *buildDropoutBox();
    QWidget *buildChurnBox();
    QWidget *buildNodeBox();
    void act(SimulatedClientPool::Action action);
    void updateTarget();
    void updateSummary();
    void updateHeartbeatState();

    LocalClients &m_localClients;
    QString m_thisNodeUrl;
    SimulatedClientPool *m_pool;
    ChurnGenerator *m_churn;
    SimulatedClientModel *m_model;

    QComboBox *m_target = nullptr;
    QLineEdit *m_url = nullptr;
    QLineEdit *m_pattern = nullptr;
    QSpinBox *m_count = nullptr;
    QSpinBox *m_rooms = nullptr;
    QPushButton *m_spawn = nullptr;
    QComboBox *m_scope = nullptr;
    QSpinBox *m_share = nullptr;
    QList<QPushButton *> m_actions;
    QDoubleSpinBox *m_joins = nullptr;
    QDoubleSpinBox *m_leaves = nullptr;
    QPushButton *m_churnButton = nullptr;
    QPushButton *m_heartbeats = nullptr;
    QLabel *m_heartbeatState = nullptr;
    QLabel *m_summary = nullptr;
    QLabel *m_lastAction = nullptr;
    QTableView *m_view = nullptr;
    QTimer m_summaryTimer; // coalesces the summary over bursts of thousands of state changes
};

} // namespace presence
