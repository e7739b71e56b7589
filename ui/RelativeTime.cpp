#include "RelativeTime.h"

#include <QCoreApplication>

namespace presence {

QString relativeTime(qint64 thenMs, qint64 nowMs)
{
    if (thenMs <= 0)
        return QStringLiteral("—");
    // A time slightly ahead (another node's clock) reads as now rather than as the future.
    const qint64 seconds = std::max<qint64>(nowMs - thenMs, 0) / 1000;
    auto tr = [](const char *text) { return QCoreApplication::translate("RelativeTime", text); };
    if (seconds < 1)
        return tr("now");
    if (seconds < 60)
        return tr("%1 s ago").arg(seconds);
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return tr("%1 min ago").arg(minutes);
    const qint64 hours = minutes / 60;
    if (hours < 24)
        return minutes % 60 == 0 ? tr("%1 h ago").arg(hours)
                                 : tr("%1 h %2 min ago").arg(hours).arg(minutes % 60);
    return tr("%1 d ago").arg(hours / 24);
}

} // namespace presence
