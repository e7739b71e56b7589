#pragma once

#include "engine/Alerts.h"
#include "engine/PresenceEngine.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace presence {

// Reads the engine's diagnostics every intervalMs (and at once when its health changes), keeps
// the last, and turns them into alerts. One per node, owned by PresenceBackend: /metrics,
// /api/nodes and the dashboard all render last(), so a scrape or a redraw costs Redis nothing
// (one FCALL_RO per interval, whoever watches).
class DiagnosticsMonitor final : public QObject {
    Q_OBJECT
public:
    DiagnosticsMonitor(PresenceEngine &engine, AlertThresholds thresholds = {},
                       int intervalMs = 1000, QObject *parent = nullptr);

    void start();
    // Reads now (unless a read is under way and not overdue).
    void refresh();
    const EngineDiagnostics &last() const { return m_last; }
    const QList<Alert> &alerts() const { return m_alerts; }
    bool isActive(AlertKind kind) const;
    const AlertThresholds &thresholds() const { return m_thresholds; }

Q_SIGNALS:
    void updated();
    void alertRaised(const presence::Alert &alert);
    void alertCleared(const presence::Alert &alert);
    // The store's address changed between two reads: a Sentinel failover moved the primary.
    void storeMoved(const QString &from, const QString &to);

private:
    void take(const EngineDiagnostics &diagnostics);

    PresenceEngine &m_engine;
    AlertThresholds m_thresholds;
    EngineDiagnostics m_last;
    QString m_lastHealthyAddress; // the store's address at the last read that found it up
    QList<Alert> m_alerts;
    QTimer m_timer;
    QElapsedTimer m_readStarted; // invalid: no read under way
};

} // namespace presence
