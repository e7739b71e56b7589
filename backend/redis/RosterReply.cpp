#include "RosterReply.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSet>
#include <QStringList>
#include <algorithm>
#include <limits>

namespace presence {

namespace {
// Milliseconds from a number anyone may have written (a sorted-set score, a JSON field):
// NaN or out of qint64's range reads as 0, because casting such a double is undefined.
qint64 toMilliseconds(double value)
{
    constexpr double limit = 9.2e18; // just inside qint64
    return value > -limit && value < limit ? qint64(value) : 0;
}
} // namespace

QList<ClientPresence> RosterReply::rows(qint64 ttlMs) const
{
    QHash<QByteArray, QJsonObject> infoByClient;
    const auto &infoFlat = info.elements();
    for (qsizetype i = 0; i + 1 < infoFlat.size(); i += 2)
        infoByClient.insert(infoFlat[i].toByteArray(),
                            QJsonDocument::fromJson(infoFlat[i + 1].toByteArray()).object());
    QHash<QByteArray, qint64> deadlineByClient;
    const auto &deadlineFlat = deadlines.elements();
    for (qsizetype i = 0; i + 1 < deadlineFlat.size(); i += 2)
        deadlineByClient.insert(deadlineFlat[i].toByteArray(),
                                toMilliseconds(deadlineFlat[i + 1].toByteArray().toDouble()));

    const bool knowsLiveNodes =
        liveNodes.type() == RedisReply::Type::Array && !liveNodes.elements().isEmpty();
    QSet<QString> live;
    for (qsizetype i = 1; knowsLiveNodes && i < liveNodes.elements().size(); ++i)
        live.insert(QString::fromUtf8(liveNodes.elements()[i].toByteArray()));

    QList<ClientPresence> result;
    const auto &statusFlat = status.elements();
    for (qsizetype i = 0; i + 1 < statusFlat.size(); i += 2) {
        const QByteArray name = statusFlat[i].toByteArray();
        const auto member = RoomMember::fromStoreKey(QString::fromUtf8(name));
        const auto state =
            presenceStatusFromString(QString::fromUtf8(statusFlat[i + 1].toByteArray()));
        if (!member || !state)
            continue;
        const QJsonObject details = infoByClient.value(name);
        ClientPresence row;
        row.client = member->client;
        row.room = member->room;
        row.status = *state;
        row.reason = details.value(QStringLiteral("reason")).toString();
        row.sinceMs = toMilliseconds(details.value(QStringLiteral("since")).toDouble());
        if (row.status == PresenceStatus::Online) {
            row.connections = std::max(details.value(QStringLiteral("connections")).toInt(), 0);
            // cjson encodes an empty list as {}: only an array holds node names.
            for (const QJsonValue &node : details.value(QStringLiteral("nodes")).toArray())
                row.nodes.append(node.toString());
            const QJsonValue counts = details.value(QStringLiteral("counts"));
            if (knowsLiveNodes && counts.isObject()) {
                const QJsonObject perNode = counts.toObject();
                qint64 total = 0; // junk counts (negative, text) count as none; no overflow
                QStringList alive;
                for (const QString &node : std::as_const(row.nodes)) {
                    if (live.contains(node)) {
                        alive.append(node);
                        total += std::max(perNode.value(node).toInt(), 0);
                    }
                }
                row.connections = int(std::min<qint64>(total, std::numeric_limits<int>::max()));
                row.nodes = alive;
            }
            row.deadlineMs = deadlineByClient.value(name);
            row.lastSeenMs = row.deadlineMs > 0 ? row.deadlineMs - ttlMs : row.sinceMs;
        } else if (row.sinceMs > 0) {
            // The store keeps no heartbeat time once a member is OFFLINE: a timeout means
            // none came for a TTL before it; a leave was the node's last word on it.
            row.lastSeenMs =
                row.reason == u"timeout" ? std::max<qint64>(row.sinceMs - ttlMs, 0) : row.sinceMs;
        }
        result.append(std::move(row));
    }
    std::sort(result.begin(), result.end(), [](const ClientPresence &a, const ClientPresence &b) {
        return a.member() < b.member();
    });
    return result;
}

void RosterReply::read(RedisConnection &connection, const RedisKeys &keys, const QObject *context,
                       std::function<void(const RosterReply &reply)> done)
{
    auto parts = std::make_shared<RosterReply>();
    connection.command({"HGETALL", keys.status()},
                       [parts](const RedisReply &reply) { parts->status = reply; });
    connection.command({"HGETALL", keys.info()},
                       [parts](const RedisReply &reply) { parts->info = reply; });
    connection.command({"ZRANGE", keys.deadlines(), "0", "-1", "WITHSCORES"},
                       [parts](const RedisReply &reply) { parts->deadlines = reply; });
    connection.command(keys.functionCall("presence_live_nodes", "FCALL_RO"),
                       [parts, guard = QPointer<const QObject>(context),
                        done = std::move(done)](const RedisReply &reply) {
                           parts->liveNodes = reply;
                           if (guard)
                               done(*parts);
                       });
}

} // namespace presence
