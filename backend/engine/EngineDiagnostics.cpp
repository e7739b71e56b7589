#include "EngineDiagnostics.h"

#include <algorithm>
#include <cmath>

namespace presence {

const NodeStatus *EngineDiagnostics::findNode(const QString &id) const
{
    for (const NodeStatus &entry : nodes) {
        if (entry.id == id)
            return &entry;
    }
    return nullptr;
}

qsizetype EngineDiagnostics::aliveNodes() const
{
    return std::count_if(nodes.cbegin(), nodes.cend(), [](const NodeStatus &n) { return n.alive; });
}

QList<NodeStatus> EngineDiagnostics::deadNodes() const
{
    QList<NodeStatus> dead;
    for (const NodeStatus &entry : nodes) {
        if (!entry.alive)
            dead.append(entry);
    }
    return dead;
}

QList<ConsumerStatus> EngineDiagnostics::deadNodeConsumers() const
{
    QList<ConsumerStatus> dead;
    for (const ConsumerStatus &consumer : consumers) {
        if (!consumer.nodeAlive)
            dead.append(consumer);
    }
    return dead;
}

void summarizeTimeouts(EngineDiagnostics &d, const QList<TimeoutSample> &samples, qint64 nowMs)
{
    QList<qint64> late;
    d.timeoutsRecent = 0;
    for (const TimeoutSample &sample : samples) {
        if (sample.atMs >= nowMs - EngineDiagnostics::latenessWindowMs)
            late.append(std::max<qint64>(sample.lateMs, 0));
        if (sample.atMs >= nowMs - EngineDiagnostics::timeoutWindowMs)
            ++d.timeoutsRecent;
    }
    d.latenessSamples = late.size();
    if (late.isEmpty()) {
        d.latenessP99Ms = -1;
        return;
    }
    std::sort(late.begin(), late.end());
    // Nearest rank: the smallest value at or above 99 % of the samples.
    const auto rank = qsizetype(std::ceil(0.99 * double(late.size())));
    d.latenessP99Ms = late[std::clamp<qsizetype>(rank - 1, 0, late.size() - 1)];
}

} // namespace presence
