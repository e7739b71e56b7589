#pragma once

#include "ChaosCluster.h"
#include "SseTestClient.h"

#include <QList>
#include <QString>
#include <map>
#include <vector>

namespace presence::test {

// What tst_chaos did when, for reports rather than checks: the faults (a timeline, and when each
// node was killed or stopped), and when each client was connected to which node. From it, the
// quick comebacks its viewers were told of: a member timed out and ONLINE again within a second.
// One whose client sat on a node nobody touched (from 2.5 s before, more than any TTL) is a
// false timeout (on a cluster it was the flap across CLUSTERDOWN, docs/cluster.md "What
// remains" 5, now a failure there), reported with the faults around it; the others (its node
// killed, paused or lagging, its client moving) are only counted.
class ChaosHistory {
public:
    static qint64 nowMs();

    void mark(const QString &what);
    // Node `node` was killed or stopped from `fromMs` until now.
    void nodeFaultEnded(int node, qint64 fromMs);
    void connected(const QString &client, int node);
    void disconnected(const QString &client);

    struct Comebacks {
        int flaps = 0;
        int explained = 0;
    };
    // `redis`: the Redis faults (a cluster's kills, promotions, rejoins) for the timeline.
    Comebacks reportQuickComebacks(const QList<const SseTestClient *> &viewers,
                                   const ChaosCluster::Timeline &redis, quint32 seed) const;

private:
    struct Stint {
        int node = -1;
        qint64 fromMs = 0, toMs = -1; // to: -1 while still connected
    };
    // The node `client` sat on from `fromMs` to `toMs` if nobody touched it meanwhile, else -1.
    int steadyOnANode(const QString &client, qint64 fromMs, qint64 toMs) const;
    // The faults from 6 s before `atMs` to 1 s after, relative to it.
    QString faultsAround(qint64 atMs, const ChaosCluster::Timeline &redis) const;

    ChaosCluster::Timeline m_timeline;
    std::map<int, std::vector<std::pair<qint64, qint64>>> m_nodeFaults;
    std::map<QString, std::vector<Stint>> m_stints;
};

} // namespace presence::test
