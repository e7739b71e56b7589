#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace presence {

class EventLogModel;

// The event log table with pause/resume, clear and copy.
class EventLogPanel final : public QWidget {
    Q_OBJECT
public:
    explicit EventLogPanel(EventLogModel &model, QWidget *parent = nullptr);

    void togglePaused();
    QString copySelection();

    QTableView *view() const { return m_view; }
    QPushButton *pauseButton() const { return m_pause; }

private:
    void updateState();

    EventLogModel &m_model;
    QPushButton *m_pause;
    QPushButton *m_clear;
    QPushButton *m_copy;
    QLabel *m_state;
    QTableView *m_view;
};

} // namespace presence
