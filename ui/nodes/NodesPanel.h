#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace presence {

class DiagnosticsMonitor;
class NodesModel;

// The nodes view: every node with its sessions, members, heartbeats/s, version, start, last
// seen and Redis round trip, dead ones in red with when they stopped, and a line on the
// consumers of dead nodes (what they still hold).
class NodesPanel final : public QWidget {
    Q_OBJECT
public:
    explicit NodesPanel(const DiagnosticsMonitor &monitor, QWidget *parent = nullptr);

    NodesModel &model() { return *m_model; }
    QTableView *table() const { return m_table; }
    QLabel *summary() const { return m_summary; }

private:
    void updateSummary();

    NodesModel *m_model;
    QTableView *m_table;
    QLabel *m_summary;
};

} // namespace presence
