#include "ChaosHistory.h"

#include "ChaosViews.h"

#include <QDateTime>
#include <algorithm>
#include <set>

namespace presence::test {

qint64 ChaosHistory::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

void ChaosHistory::mark(const QString &what)
{
    m_timeline.append({nowMs(), what});
}

void ChaosHistory::nodeFaultEnded(int node, qint64 fromMs)
{
    m_nodeFaults[node].push_back({fromMs, nowMs()});
}

void ChaosHistory::connected(const QString &client, int node)
{
    m_stints[client].push_back({node, nowMs()});
}

void ChaosHistory::disconnected(const QString &client)
{
    auto &stints = m_stints[client];
    if (!stints.empty() && stints.back().toMs < 0)
        stints.back().toMs = nowMs();
}

int ChaosHistory::steadyOnANode(const QString &client, qint64 fromMs, qint64 toMs) const
{
    const auto found = m_stints.find(client);
    if (found == m_stints.end())
        return -1;
    for (const Stint &stint : found->second) {
        if (stint.fromMs > fromMs || (stint.toMs >= 0 && stint.toMs < toMs))
            continue;
        const auto faults = m_nodeFaults.find(stint.node);
        const bool touched =
            faults != m_nodeFaults.end() &&
            std::any_of(faults->second.cbegin(), faults->second.cend(), [&](const auto &fault) {
                return fault.first <= toMs && fault.second >= fromMs;
            });
        return touched ? -1 : stint.node;
    }
    return -1;
}

QString ChaosHistory::faultsAround(qint64 atMs, const ChaosCluster::Timeline &redis) const
{
    ChaosCluster::Timeline all = m_timeline + redis;
    std::sort(all.begin(), all.end());
    QStringList near;
    for (const auto &[ms, what] : std::as_const(all)) {
        if (ms >= atMs - 6000 && ms <= atMs + 1000)
            near.append(QStringLiteral("%1%2 ms %3")
                            .arg(ms >= atMs ? QStringLiteral("+") : QString())
                            .arg(ms - atMs)
                            .arg(what));
    }
    return near.join(QStringLiteral("; "));
}

ChaosHistory::Comebacks
ChaosHistory::reportQuickComebacks(const QList<const SseTestClient *> &viewers,
                                   const ChaosCluster::Timeline &redis, quint32 seed) const
{
    // (member, when it timed out): each once, however many viewers were told.
    std::set<std::pair<QString, qint64>> flaps, explained;
    for (const SseTestClient *viewer : viewers) {
        std::map<QString, qint64> timedOutAt;
        for (const auto &event : viewer->events()) {
            const QJsonObject json = event.json();
            const QString member = memberOf(json);
            const qint64 at = idMs(event.id);
            const QString status = json.value(QStringLiteral("status")).toString();
            if (status == u"OFFLINE" &&
                json.value(QStringLiteral("reason")).toString() == u"timeout") {
                timedOutAt[member] = at;
                continue;
            }
            const auto found = timedOutAt.find(member);
            if (found == timedOutAt.end())
                continue;
            const qint64 timeoutMs = found->second, offlineMs = at - timeoutMs;
            timedOutAt.erase(found);
            if (status != u"ONLINE" || offlineMs < 0 || offlineMs >= 1000)
                continue;
            const int node = steadyOnANode(member.section(u'/', 1), timeoutMs - 2500, at);
            if (node < 0) {
                explained.insert({member, timeoutMs});
            } else if (flaps.insert({member, timeoutMs}).second) {
                qWarning("chaos (seed %u): flap: %s (on chaos-%d, untouched) timed out at %lld ms "
                         "since the epoch and was ONLINE again %lld ms later; around it: %s",
                         seed, qPrintable(member), node, timeoutMs, offlineMs,
                         qPrintable(faultsAround(timeoutMs, redis)));
            }
        }
    }
    return {int(flaps.size()), int(explained.size())};
}

} // namespace presence::test
