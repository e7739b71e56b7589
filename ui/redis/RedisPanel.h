#pragma once

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;

namespace presence {

class HeartbeatProcessor;
class PresenceBackend;
class RedisInspector;
class RedisPresenceEngine;

// Redis as this node sees it: connection state and address, notify-keyspace-events with a
// toggle for expired-key notifications (which merges: only the x class is added or removed),
// stream lengths, the processors' group lag and pending entries, and the nodes alive.
// With the in-memory engine it says there is no Redis and why.
class RedisPanel final : public QWidget {
    Q_OBJECT
public:
    explicit RedisPanel(PresenceBackend &backend, QWidget *parent = nullptr);

    void refresh();

    QCheckBox *expiredToggle() const { return m_expired; }
    QLabel *flagsLabel() const { return m_flags; }
    QLabel *configMessage() const { return m_configMessage; }
    QLabel *stateLabel() const { return m_state; }
    QLabel *streamsLabel() const { return m_streams; }
    QLabel *nodesLabel() const { return m_nodes; }
    RedisInspector *inspector() const { return m_inspector; }

private:
    void buildForRedis();
    void updateConnection();
    void updateKeyspace();
    void updateReport();

    PresenceBackend &m_backend;
    RedisPresenceEngine *m_engine = nullptr;
    RedisInspector *m_inspector = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_address = nullptr;
    QLabel *m_flags = nullptr;
    QCheckBox *m_expired = nullptr;
    QLabel *m_configMessage = nullptr;
    QLabel *m_streams = nullptr;
    QLabel *m_group = nullptr;
    QLabel *m_processor = nullptr;
    QLabel *m_nodes = nullptr;
    QPushButton *m_refresh = nullptr;
    QTimer m_timer;
};

} // namespace presence
