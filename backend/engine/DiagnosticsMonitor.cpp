#include "DiagnosticsMonitor.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcAlerts, "presence.alerts")

namespace presence {

namespace {
// A read that has not come back in this long (a hung store, before the connection's reply
// deadline fails it) does not hold the next one back.
constexpr qint64 overdueMs = 5000;
} // namespace

DiagnosticsMonitor::DiagnosticsMonitor(PresenceEngine &engine, AlertThresholds thresholds,
                                       int intervalMs, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_thresholds(thresholds)
{
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &DiagnosticsMonitor::refresh);
    connect(&m_engine, &PresenceEngine::healthChanged, this, &DiagnosticsMonitor::refresh);
    connect(&m_engine, &PresenceEngine::diagnosticsChanged, this, &DiagnosticsMonitor::refresh);
}

void DiagnosticsMonitor::start()
{
    m_timer.start();
    refresh();
}

void DiagnosticsMonitor::refresh()
{
    if (m_readStarted.isValid() && m_readStarted.elapsed() < overdueMs)
        return;
    m_readStarted.start();
    m_engine.readDiagnostics(this, [this](const EngineDiagnostics &diagnostics) {
        m_readStarted.invalidate();
        take(diagnostics);
    });
}

bool DiagnosticsMonitor::isActive(AlertKind kind) const
{
    return std::any_of(m_alerts.cbegin(), m_alerts.cend(),
                       [kind](const Alert &alert) { return alert.kind == kind; });
}

void DiagnosticsMonitor::take(const EngineDiagnostics &diagnostics)
{
    m_last = diagnostics;
    // A Sentinel failover (any move of the store) shows as a healthy read at another address
    // than the last healthy one; the reads in between (down, asking the Sentinels) say nothing.
    if (m_last.valid && m_last.storeOk && !m_last.storeAddress.isEmpty()) {
        const QString from = std::exchange(m_lastHealthyAddress, m_last.storeAddress);
        if (!from.isEmpty() && from != m_last.storeAddress) {
            qCInfo(lcAlerts).noquote() << "the store moved from" << from << "to" << m_last.storeAddress;
            Q_EMIT storeMoved(from, m_last.storeAddress);
        }
    }
    const QList<Alert> before = std::exchange(m_alerts, evaluateAlerts(m_last, m_thresholds));
    for (const Alert &alert : std::as_const(m_alerts)) {
        const bool wasActive =
            std::any_of(before.cbegin(), before.cend(),
                        [&alert](const Alert &a) { return a.kind == alert.kind; });
        if (!wasActive) {
            qCWarning(lcAlerts).noquote() << "alert" << alertName(alert.kind) << "-" << alert.text;
            Q_EMIT alertRaised(alert);
        }
    }
    for (const Alert &alert : before) {
        if (!isActive(alert.kind)) {
            qCInfo(lcAlerts).noquote() << "alert" << alertName(alert.kind) << "cleared";
            Q_EMIT alertCleared(alert);
        }
    }
    Q_EMIT updated();
}

} // namespace presence
