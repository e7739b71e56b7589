#include "Alerts.h"

#include <QDateTime>
#include <QStringList>

namespace presence {

QString alertName(AlertKind kind)
{
    switch (kind) {
    case AlertKind::RedisDown:
        return QStringLiteral("redis_down");
    case AlertKind::ProcessorLag:
        return QStringLiteral("processor_lag");
    case AlertKind::OfflineLateness:
        return QStringLiteral("offline_lateness");
    case AlertKind::NodeDied:
        return QStringLiteral("node_died");
    case AlertKind::TimeoutBurst:
        return QStringLiteral("timeout_burst");
    }
    return {};
}

namespace {
QString clockTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}
} // namespace

QList<Alert> evaluateAlerts(const EngineDiagnostics &d, const AlertThresholds &t)
{
    QList<Alert> alerts;
    if (!d.valid)
        return alerts;
    if (!d.storeOk) {
        alerts.append({AlertKind::RedisDown,
                       QStringLiteral("Redis %1%2: this node serves its last known roster")
                           .arg(d.storeState, d.storeDetail.isEmpty()
                                                  ? QString()
                                                  : QStringLiteral(" (%1)").arg(d.storeDetail))});
    }
    if (d.processors.known && (d.processors.lag < 0 || d.processors.behindMs > d.ttlMs / 2)) {
        alerts.append(
            {AlertKind::ProcessorLag,
             d.processors.lag < 0
                 ? QStringLiteral("heartbeats were trimmed before any processor read them")
                 : QStringLiteral("processors are %1 ms behind (more than half the TTL, %2 ms)")
                       .arg(d.processors.behindMs)
                       .arg(d.ttlMs / 2)});
    }
    if (d.latenessP99Ms > t.latenessBoundMs) {
        alerts.append({AlertKind::OfflineLateness,
                       QStringLiteral("OFFLINE timeouts come late: p99 %1 ms over %2 timeouts "
                                      "(bound %3 ms)")
                           .arg(d.latenessP99Ms)
                           .arg(d.latenessSamples)
                           .arg(t.latenessBoundMs)});
    }
    QStringList died;
    for (const NodeStatus &node : d.nodes) {
        if (!node.alive && node.lastSeenMs >= d.takenAtMs - t.nodeDeathShownMs)
            died << QStringLiteral("%1 (stopped %2)").arg(node.id, clockTime(node.lastSeenMs));
    }
    if (!died.isEmpty()) {
        qint64 stranded = 0;
        for (const ConsumerStatus &consumer : d.deadNodeConsumers())
            stranded += consumer.pending;
        QString text = QStringLiteral("node died: %1").arg(died.join(QStringLiteral(", ")));
        if (stranded > 0)
            text += QStringLiteral("; its consumer holds %1 pending heartbeats").arg(stranded);
        alerts.append({AlertKind::NodeDied, text});
    }
    if (d.timeoutsRecent >= t.timeoutBurst) {
        alerts.append(
            {AlertKind::TimeoutBurst, QStringLiteral("%1 clients timed out in the last %2 s")
                                          .arg(d.timeoutsRecent)
                                          .arg(EngineDiagnostics::timeoutWindowMs / 1000)});
    }
    return alerts;
}

} // namespace presence
