#pragma once

#include "StatusStyle.h"
#include "engine/PresenceEngine.h"

#include <QAbstractTableModel>
#include <QTimer>

#include <deque>

namespace presence {

// The presence stream as this node sees it, newest first, bounded to `capacity` rows.
// Events are inserted in batches (as in RosterModel). Paused, the view holds still while
// events keep being collected (bounded too) and are shown on resume, so nothing is missed by
// an operator who stopped the log to read it.
class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        TimeColumn,
        ClientColumn,
        RoomColumn,
        StatusColumn,
        ReasonColumn,
        NodeColumn,
        ColumnCount
    };

    explicit EventLogModel(PresenceEngine &engine, qsizetype capacity = 5000,
                           QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Row 0 is the newest event.
    const PresenceEvent &event(int row) const { return m_rows[size_t(row)]; }
    qsizetype capacity() const { return m_capacity; }

    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);
    // Events collected while paused (not shown yet).
    qsizetype heldCount() const { return qsizetype(m_pending.size()); }
    void clear();
    void flush();
    // A line of the operator's own: an alert raised or cleared (DiagnosticsMonitor). It has no
    // entry id and no client; isAlertLine() tells it from a presence event.
    void addAlertLine(const QString &text, qint64 atMs);
    static bool isAlertLine(const PresenceEvent &row);

Q_SIGNALS:
    void pausedChanged(bool paused);
    void heldCountChanged(qsizetype held);

private:
    void enqueue(const PresenceEvent &event);

    std::deque<PresenceEvent> m_rows;    // newest first
    std::deque<PresenceEvent> m_pending; // oldest first
    qsizetype m_capacity;
    bool m_paused = false;
    StatusIcons m_icons;
    QTimer m_flushTimer;
};

} // namespace presence
