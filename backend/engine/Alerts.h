#pragma once

#include "engine/EngineDiagnostics.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace presence {

// What an operator must hear about without looking (issue 15, item 4). Every kind has a
// metric (presence_alert{alert="<name>"}) whether it is active or not.
enum class AlertKind { RedisDown, ProcessorLag, OfflineLateness, NodeDied, TimeoutBurst };
inline constexpr AlertKind allAlertKinds[] = {AlertKind::RedisDown, AlertKind::ProcessorLag,
                                              AlertKind::OfflineLateness, AlertKind::NodeDied,
                                              AlertKind::TimeoutBurst};

struct Alert {
    AlertKind kind = AlertKind::RedisDown;
    QString text; // one line for the banner and the log
};

struct AlertThresholds {
    // Offline-detection lateness: the sweep wakes at every deadline and at least every 100 ms;
    // measured p99 44–52 ms (README, "Offline detection"). A second is the bound we hold to.
    qint64 latenessBoundMs = 1000;
    qint64 timeoutBurst = 10;                 // timeouts within EngineDiagnostics::timeoutWindowMs
    qint64 nodeDeathShownMs = 15 * 60 * 1000; // a node that stopped this recently is news
};

// "redis_down", "processor_lag", "offline_lateness", "node_died", "timeout_burst".
QString alertName(AlertKind kind);
// The alerts `diagnostics` calls for, in allAlertKinds order (nothing when it is not valid).
QList<Alert> evaluateAlerts(const EngineDiagnostics &diagnostics,
                            const AlertThresholds &thresholds);

} // namespace presence

Q_DECLARE_METATYPE(presence::Alert)
