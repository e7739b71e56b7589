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
