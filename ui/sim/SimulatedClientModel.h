#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>

namespace presence {

class SimulatedClient;
class SimulatedClientPool;

// The simulated clients as a table: name, rooms, state, events received, target. State changes are
// signalled per client; the event counters move too often for that and are repainted on a timer.
class SimulatedClientModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, RoomsColumn, StateColumn, EventsColumn, TargetColumn, ColumnCount };

    explicit SimulatedClientModel(SimulatedClientPool &pool, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    SimulatedClient *clientAt(int row) const { return m_rows.value(row); }

private:
    void onAdded(SimulatedClient *client);
    void onChanged(SimulatedClient *client);
    void onRemoved(SimulatedClient *client);

    QList<SimulatedClient *> m_rows;
    QTimer m_counterTimer;
};

} // namespace presence
