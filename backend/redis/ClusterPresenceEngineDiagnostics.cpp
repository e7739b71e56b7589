// ClusterPresenceEngine's diagnostics: every shard's read combined into one value, with the
// cluster's primaries and shards (ClusterStatus) for the dashboard, /api/nodes and /metrics.
#include "redis/ClusterKeySlot.h"
#include "redis/ClusterPresenceEngine.h"

#include <QPointer>
#include <algorithm>
#include <memory>

namespace presence {

namespace {
QString slotRanges(const ClusterSlotMap::Shard &shard)
{
    QStringList ranges;
    for (const ClusterSlotMap::SlotRange &range : shard.slots)
        ranges << (range.first == range.last
                       ? QString::number(range.first)
                       : QStringLiteral("%1-%2").arg(range.first).arg(range.last));
    return ranges.join(QStringLiteral(", "));
}

ClusterNodeStatus nodeStatus(const ClusterSlotMap::Node &node)
{
    return {clusterNodeName(node.address), node.health, -1};
}
} // namespace

void ClusterPresenceEngine::readDiagnostics(const QObject *context, DiagnosticsCallback callback)
{
    readPrimaryKeys(); // for the next read: a read never waits on every primary
    struct Gather {
        QList<EngineDiagnostics> shards;
        qsizetype waiting = 0;
        DiagnosticsCallback callback;
    };
    auto gather = std::make_shared<Gather>();
    gather->shards.resize(qsizetype(m_engines.size()));
    gather->waiting = gather->shards.size();
    gather->callback = std::move(callback);
    for (size_t i = 0; i < m_engines.size(); ++i) {
        m_engines[i]->readDiagnostics(context, [this, gather, i](const EngineDiagnostics &shard) {
            gather->shards[qsizetype(i)] = shard;
            if (--gather->waiting == 0)
                combineDiagnostics(gather->shards, std::move(gather->callback));
        });
    }
}

void ClusterPresenceEngine::combineDiagnostics(const QList<EngineDiagnostics> &shards,
                                               DiagnosticsCallback callback)
{
    // Every node records itself in every shard: shard 0's read lists the deployment's nodes,
    // its consumers and timeouts. The figures that add up over shards are summed.
    EngineDiagnostics d = shards.front();
    d.engine = kind();
    d.storeAddress = m_seeds;
    d.topology.server.clear();
    d.topology.role.clear();
    d.topology.replicas.clear();
    d.processors = processorBacklog();
    d.heartbeatsProcessed = 0;
    d.processorTransitions = 0;
    d.entriesClaimed = 0;
    d.junkEntries = m_forwarder.junkEntries();
    d.heartbeatStreamLength = 0;
    d.presenceStreamLength = 0;
    for (size_t i = 0; i < m_engines.size(); ++i) {
        const HeartbeatProcessor::Stats &stats = m_engines[i]->processor().stats();
        d.heartbeatsProcessed += stats.processed;
        d.processorTransitions += stats.transitions;
        d.entriesClaimed += stats.claimed;
        d.junkEntries += stats.junk;
        const EngineDiagnostics &shard = shards[qsizetype(i)];
        const auto add = [](qint64 &total, qint64 part) {
            total = (total < 0 || part < 0) ? -1 : total + part;
        };
        add(d.heartbeatStreamLength, shard.heartbeatStreamLength);
        add(d.presenceStreamLength, shard.presenceStreamLength);
        d.roundTripMs = std::max(d.roundTripMs, shard.roundTripMs);
    }
    d.cluster = clusterStatus(shards);
    const Health now = health();
    d.storeOk = now.ok;
    d.storeState = now.state;
    d.storeDetail = now.detail;
    callback(d);
}

ClusterStatus ClusterPresenceEngine::clusterStatus(const QList<EngineDiagnostics> &shards) const
{
    ClusterStatus status;
    status.known = m_cluster.hasSlotMap();
    status.movedRedirects = m_cluster.movedCount();
    status.askRedirects = m_cluster.askCount();
    status.retries = m_cluster.retryCount();
    const ClusterSlotMap &map = m_cluster.slotMap();
    status.uncoveredSlots = status.known ? map.uncoveredSlots() : 0;
    const QMap<QString, int> perPrimary = m_shards.perPrimary(map);
    for (const ClusterSlotMap::Shard &shard : map.shards()) {
        if (!shard.primary && shard.slots.isEmpty())
            continue;
        ClusterPrimaryStatus primary;
        if (shard.primary)
            primary.node = nodeStatus(*shard.primary);
        primary.slots = slotRanges(shard);
        primary.slotCount = shard.slotCount();
        primary.presenceShards = perPrimary.value(primary.node.address);
        primary.keys = m_primaryKeys.value(primary.node.address, -1);
        for (const ClusterSlotMap::Node &replica : shard.replicas) {
            ClusterNodeStatus node = nodeStatus(replica);
            if (shard.primary)
                node.lagBytes = std::max<qint64>(0, shard.primary->replicationOffset -
                                                        replica.replicationOffset);
            primary.replicas.append(node);
        }
        primary.firstSlot = shard.slots.isEmpty() ? clusterSlotCount : shard.slots.front().first;
        status.primaries.append(primary);
    }
    std::sort(status.primaries.begin(), status.primaries.end(),
              [](const ClusterPrimaryStatus &a, const ClusterPrimaryStatus &b) {
                  return a.firstSlot < b.firstSlot;
              });
    for (int i = 0; i < m_shards.count(); ++i) {
        const RedisPresenceEngine &engine = *m_engines[size_t(i)];
        const EngineDiagnostics &read = shards[i];
        ClusterShardStatus shard;
        shard.index = i;
        shard.tag = QStringLiteral("{%1}").arg(QString::fromLatin1(m_shards.tag(i)));
        shard.slot = m_shards.slot(i);
        if (const auto owner = map.primaryFor(shard.slot))
            shard.primary = clusterNodeName(*owner);
        shard.state = read.storeState;
        shard.read = engine.isLive();
        shard.rooms = engine.mirroredRooms();
        shard.online = engine.onlineMembers();
        shard.heartbeatStreamLength = read.heartbeatStreamLength;
        shard.presenceStreamLength = read.presenceStreamLength;
        shard.processors = engine.processorBacklog();
        status.shards.append(shard);
    }
    return status;
}

void ClusterPresenceEngine::readPrimaryKeys()
{
    if (m_readingKeys || !m_cluster.hasSlotMap())
        return;
    m_readingKeys = true;
    m_cluster.onEveryPrimary({QByteArrayLiteral("DBSIZE")},
                             [guard = QPointer<ClusterPresenceEngine>(this)](const auto &replies) {
                                 if (!guard)
                                     return;
                                 guard->m_readingKeys = false;
                                 for (const auto &[address, reply] : replies) {
                                     bool ok = false;
                                     const qint64 keys = reply.toInteger(&ok);
                                     guard->m_primaryKeys.insert(clusterNodeName(address),
                                                                 ok ? keys : -1);
                                 }
                             });
}

} // namespace presence
