#pragma once

#include "engine/EngineDiagnostics.h"

#include <QAbstractTableModel>

namespace presence {

class DiagnosticsMonitor;

// Every node of the deployment as the diagnostics last read it (alive first, then the dead,
// with when they stopped), with its consumer in the processors' group. Rebuilt on each read:
// nodes are few.
class NodesModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        // Most telling first: the view is often narrower than all ten.
        NodeColumn,
        StateColumn,
        SessionsColumn,
        MembersColumn,
        HeartbeatsColumn,
        RoundTripColumn,
        LastSeenColumn,
        ConsumerColumn,
        VersionColumn,
        StartedColumn,
        ColumnCount
    };

    explicit NodesModel(const DiagnosticsMonitor &monitor, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    const NodeStatus &node(int row) const { return m_diagnostics.nodes[row]; }
    // The row of a node, or -1.
    int rowOf(const QString &id) const;
    const EngineDiagnostics &diagnostics() const { return m_diagnostics; }

private:
    void reload();
    const ConsumerStatus *consumerOf(const QString &node) const;

    const DiagnosticsMonitor &m_monitor;
    EngineDiagnostics m_diagnostics;
};

} // namespace presence
