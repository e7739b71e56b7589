#pragma once

#include <QWidget>

class QCheckBox;
class QGroupBox;
class QLabel;
class QPushButton;

namespace presence {

class ClusterView;
class DiagnosticsMonitor;
class PresenceBackend;
struct EngineDiagnostics;

// Redis as this node sees it, rendered from the engine's diagnostics (DiagnosticsMonitor: one
// read a second, shared with /metrics; this panel sends no command of its own): connection
// state and address, the topology (primary, replicas, Sentinels, TLS), notify-keyspace-events with
// a toggle for expired-key notifications (which merges: only the x class is added or removed),
// stream lengths, the processors' group and this processor's counters. On a Redis Cluster the
// topology is the cluster's primaries and presence shards (ClusterView) and the streams' figures
// are summed over the shards. With the in-memory engine it says there is no Redis and why.
class RedisPanel final : public QWidget {
    Q_OBJECT
public:
    explicit RedisPanel(PresenceBackend &backend, QWidget *parent = nullptr);

    // Reads the figures now rather than at the next second.
    void refresh();

    QCheckBox *expiredToggle() const { return m_expired; }
    QLabel *flagsLabel() const { return m_flags; }
    QLabel *configMessage() const { return m_configMessage; }
    QLabel *stateLabel() const { return m_state; }
    QLabel *streamsLabel() const { return m_streams; }
    QLabel *groupLabel() const { return m_group; }
    QLabel *primaryLabel() const { return m_primary; }
    QLabel *replicasLabel() const { return m_replicas; }
    QLabel *sentinelsLabel() const { return m_sentinels; }
    QLabel *tlsLabel() const { return m_tls; }
    ClusterView *clusterView() const { return m_cluster; } // null off a cluster

private:
    void buildForRedis(bool cluster);
    QGroupBox *connectionGroup();
    QGroupBox *topologyGroup(); // one Redis or a Sentinel group
    QGroupBox *keyspaceGroup();
    QGroupBox *streamsGroup(bool cluster);
    void render();
    void renderConnection(const EngineDiagnostics &d);
    void renderTopology(const EngineDiagnostics &d);
    void renderKeyspace(const EngineDiagnostics &d);

    PresenceBackend &m_backend;
    DiagnosticsMonitor &m_monitor;
    QLabel *m_state = nullptr;
    QLabel *m_address = nullptr;
    QLabel *m_primary = nullptr;
    QLabel *m_replicas = nullptr;
    QLabel *m_sentinels = nullptr;
    QLabel *m_tls = nullptr;
    ClusterView *m_cluster = nullptr; // instead of the topology labels on a Redis Cluster
    QLabel *m_flags = nullptr;
    QCheckBox *m_expired = nullptr;
    QLabel *m_configMessage = nullptr;
    QLabel *m_streams = nullptr;
    QLabel *m_group = nullptr;
    QLabel *m_processor = nullptr;
    QPushButton *m_refresh = nullptr;
};

} // namespace presence
