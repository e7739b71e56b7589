#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace presence {

class KeyspaceSwitch;
class PresenceBackend;

// The right-hand panel in observer mode (presence --observe): what is watched, whether the
// watch is up (and why not), and — watching a Redis — notify-keyspace-events, with the one
// change an observer can make, asked for first because it changes the server for everyone.
class ObserverPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ObserverPanel(PresenceBackend &backend, QWidget *parent = nullptr);

    QLabel *stateLabel() const { return m_state; }
    QLabel *flagsLabel() const { return m_flags; }
    QPushButton *keyspaceButton() const { return m_keyspaceButton; }
    // Switches expired-key events after the operator said yes (tests answer for them).
    void switchExpiredEvents(bool on);

private:
    void updateState();
    void readFlags();
    void askToSwitch();

    PresenceBackend &m_backend;
    KeyspaceSwitch *m_keyspace;
    QLabel *m_state;
    QLabel *m_flags = nullptr;
    QLabel *m_keyspaceMessage = nullptr;
    QPushButton *m_keyspaceButton = nullptr;
    bool m_expiredOn = false;
};

} // namespace presence
