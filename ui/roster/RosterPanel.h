#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace presence {

class RosterModel;
class RosterFilterModel;
class RoomBar;
class RoomSelector;

// The roster table with its filter line, room and status choices, and the counts of what is
// shown (the chosen room's, or every room's).
class RosterPanel final : public QWidget {
    Q_OBJECT
public:
    explicit RosterPanel(RosterModel &model, QWidget *parent = nullptr);

    void focusFilter();
    // The selected rows as tab-separated text (with a header line), also put on the clipboard.
    QString copySelection();

    QTableView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    QComboBox *statusChoice() const { return m_status; }
    RoomSelector *roomChoice() const { return m_room; }
    RoomBar *roomBar() const { return m_roomBar; }
    QLabel *countsLabel() const { return m_counts; }
    RosterFilterModel &proxy() const { return *m_proxy; }

private:
    void updateCounts();

    RosterModel &m_model;
    RosterFilterModel *m_proxy;
    QLineEdit *m_filter;
    RoomSelector *m_room;
    RoomBar *m_roomBar;
    QComboBox *m_status;
    QLabel *m_counts;
    QTableView *m_view;
};

} // namespace presence
