#include "DiagnosticsJson.h"

#include <QJsonArray>

namespace presence {

QJsonObject toJson(const NodeStatus &node)
{
    QJsonObject json{{QStringLiteral("node"), node.id},
                     {QStringLiteral("alive"), node.alive},
                     {QStringLiteral("version"), node.version},
                     {QStringLiteral("startedAt"), node.startedAtMs},
                     {QStringLiteral("lastSeen"), node.lastSeenMs},
                     {QStringLiteral("expiresAt"), node.expiresAtMs},
                     {QStringLiteral("sessions"), node.sessions},
                     {QStringLiteral("members"), node.members},
                     {QStringLiteral("heartbeatsPerSecond"), node.heartbeatsPerSecond},
                     {QStringLiteral("redisRoundTripMs"), node.roundTripMs}};
    if (!node.alive)
        json.insert(QStringLiteral("stoppedAt"), node.lastSeenMs);
    return json;
}

QJsonObject toJson(const StoreTopology &topology)
{
    QJsonArray replicas;
    for (const StoreReplica &replica : topology.replicas)
        replicas.append(QJsonObject{{QStringLiteral("address"), replica.address},
                                    {QStringLiteral("lagBytes"), replica.lagBytes}});
    QJsonObject json{
        {QStringLiteral("server"), topology.server},
        {QStringLiteral("role"), topology.role},
        {QStringLiteral("replicas"), replicas},
        {QStringLiteral("sentinels"), QJsonArray::fromStringList(topology.sentinels)},
        {QStringLiteral("answeringSentinel"), topology.answeringSentinel},
        {QStringLiteral("tls"), QJsonObject{{QStringLiteral("on"), topology.tls},
                                            {QStringLiteral("mutual"), topology.tlsMutual}}}};
    if (!topology.roleError.isEmpty())
        json.insert(QStringLiteral("roleError"), topology.roleError);
    return json;
}

namespace {
QJsonObject toJson(const ClusterNodeStatus &node)
{
    QJsonObject json{{QStringLiteral("address"), node.address},
                     {QStringLiteral("health"), node.health}};
    if (node.lagBytes >= 0)
        json.insert(QStringLiteral("lagBytes"), node.lagBytes);
    return json;
}

QJsonObject toJson(const ProcessorBacklog &backlog)
{
    if (!backlog.known)
        return {};
    return {{QStringLiteral("lag"), backlog.lag},
            {QStringLiteral("pending"), backlog.pending},
            {QStringLiteral("behindMs"), backlog.behindMs}};
}
} // namespace

QJsonObject toJson(const ClusterStatus &cluster)
{
    QJsonArray primaries;
    for (const ClusterPrimaryStatus &primary : cluster.primaries) {
        QJsonArray replicas;
        for (const ClusterNodeStatus &replica : primary.replicas)
            replicas.append(toJson(replica));
        QJsonObject json = toJson(primary.node);
        json.insert(QStringLiteral("slots"), primary.slots);
        json.insert(QStringLiteral("slotCount"), primary.slotCount);
        json.insert(QStringLiteral("presenceShards"), primary.presenceShards);
        json.insert(QStringLiteral("keys"), primary.keys);
        json.insert(QStringLiteral("replicas"), replicas);
        primaries.append(json);
    }
    QJsonArray shards;
    for (const ClusterShardStatus &shard : cluster.shards)
        shards.append(
            QJsonObject{{QStringLiteral("shard"), shard.index},
                        {QStringLiteral("tag"), shard.tag},
                        {QStringLiteral("slot"), shard.slot},
                        {QStringLiteral("primary"), shard.primary},
                        {QStringLiteral("state"), shard.state},
                        {QStringLiteral("read"), shard.read},
                        {QStringLiteral("rooms"), shard.rooms},
                        {QStringLiteral("online"), shard.online},
                        {QStringLiteral("heartbeatStreamLength"), shard.heartbeatStreamLength},
                        {QStringLiteral("presenceStreamLength"), shard.presenceStreamLength},
                        {QStringLiteral("processors"), toJson(shard.processors)}});
    return {{QStringLiteral("uncoveredSlots"), cluster.uncoveredSlots},
            {QStringLiteral("redirects"),
             QJsonObject{{QStringLiteral("moved"), qint64(cluster.movedRedirects)},
                         {QStringLiteral("ask"), qint64(cluster.askRedirects)},
                         {QStringLiteral("retries"), qint64(cluster.retries)}}},
            {QStringLiteral("primaries"), primaries},
            {QStringLiteral("shards"), shards}};
}

QJsonObject nodesToJson(const EngineDiagnostics &d, const QList<Alert> &alerts)
{
    QJsonArray nodes;
    for (const NodeStatus &node : d.nodes)
        nodes.append(toJson(node));
    QJsonArray consumers;
    for (const ConsumerStatus &consumer : d.consumers)
        consumers.append(QJsonObject{{QStringLiteral("consumer"), consumer.name},
                                     {QStringLiteral("pending"), consumer.pending},
                                     {QStringLiteral("idleMs"), consumer.idleMs},
                                     {QStringLiteral("nodeAlive"), consumer.nodeAlive}});
    QJsonArray active;
    for (const Alert &alert : alerts)
        active.append(QJsonObject{{QStringLiteral("alert"), alertName(alert.kind)},
                                  {QStringLiteral("text"), alert.text}});
    return QJsonObject{
        {QStringLiteral("node"), d.node},
        {QStringLiteral("engine"), d.engine},
        {QStringLiteral("at"), d.takenAtMs},
        {QStringLiteral("storeReadAt"), d.storeReadAtMs}, // nodes and consumers as of then
        {QStringLiteral("store"), QJsonObject{{QStringLiteral("ok"), d.storeOk},
                                              {QStringLiteral("state"), d.storeState},
                                              {QStringLiteral("detail"), d.storeDetail},
                                              {QStringLiteral("roundTripMs"), d.roundTripMs}}},
        {QStringLiteral("topology"),
         d.topology.known ? QJsonValue(toJson(d.topology)) : QJsonValue()},
        {QStringLiteral("cluster"), d.cluster.known ? QJsonValue(toJson(d.cluster)) : QJsonValue()},
        {QStringLiteral("alive"), qint64(d.aliveNodes())},
        {QStringLiteral("dead"), qint64(d.nodes.size() - d.aliveNodes())},
        {QStringLiteral("nodes"), nodes},
        {QStringLiteral("consumers"), consumers},
        {QStringLiteral("deadNodeConsumers"), qint64(d.deadNodeConsumers().size())},
        {QStringLiteral("timeoutsRecent"), d.timeoutsRecent},
        {QStringLiteral("offlineLatenessP99Ms"), d.latenessP99Ms},
        {QStringLiteral("alerts"), active}};
}

} // namespace presence
