#include "DiagnosticsReply.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cmath>

namespace presence {

QByteArray NodeRecord::toJson() const
{
    const QJsonObject record{{QStringLiteral("v"), version},
                             {QStringLiteral("started"), startedAtMs},
                             {QStringLiteral("sessions"), sessions},
                             {QStringLiteral("members"), members},
                             {QStringLiteral("hbps"), std::round(heartbeatsPerSecond * 10) / 10},
                             {QStringLiteral("rtt"), roundTripMs}};
    return QJsonDocument(record).toJson(QJsonDocument::Compact);
}

QList<QByteArray> diagnosticsCommand(const RedisKeys &keys)
{
    return {"FCALL_RO",
            "presence_diagnostics",
            "5",
            keys.heartbeatStream(),
            keys.presenceStream(),
            keys.nodes(),
            keys.nodeRecords(),
            keys.timeouts(),
            keys.processorGroup()};
}

namespace {
qint64 integer(const QJsonObject &record, const char *name)
{
    const QJsonValue value = record.value(QLatin1String(name));
    return value.isDouble() ? qint64(value.toDouble()) : -1;
}
} // namespace

bool parseDiagnosticsReply(const RedisReply &reply, EngineDiagnostics &d)
{
    const QList<RedisReply> &parts = reply.elements();
    if (reply.isError() || parts.size() < 6)
        return false;
    const qint64 now = parts[0].toInteger();
    d.heartbeatStreamLength = parts[1].toInteger();
    d.presenceStreamLength = parts[2].toInteger();

    d.nodes.clear();
    const QList<RedisReply> &nodes = parts[3].elements();
    for (qsizetype i = 0; i + 2 < nodes.size(); i += 3) {
        NodeStatus node;
        node.id = QString::fromUtf8(nodes[i].toByteArray());
        node.expiresAtMs = nodes[i + 1].toInteger();
        node.alive = node.expiresAtMs > now;
        const QJsonObject record = QJsonDocument::fromJson(nodes[i + 2].toByteArray()).object();
        node.version = record.value(QLatin1String("v")).toString();
        node.startedAtMs = std::max<qint64>(integer(record, "started"), 0);
        node.sessions = integer(record, "sessions");
        node.members = integer(record, "members");
        const QJsonValue rate = record.value(QLatin1String("hbps"));
        node.heartbeatsPerSecond = rate.isDouble() ? rate.toDouble() : -1;
        node.roundTripMs = integer(record, "rtt");
        // Without a record (a node of an older library), its liveness tells when it was seen.
        const qint64 seen = integer(record, "seen");
        const qint64 ttl = integer(record, "ttl");
        node.lastSeenMs = seen > 0 ? seen : (ttl > 0 ? node.expiresAtMs - ttl : 0);
        d.nodes.append(node);
    }
    std::stable_sort(d.nodes.begin(), d.nodes.end(), [](const NodeStatus &a, const NodeStatus &b) {
        return a.alive != b.alive ? a.alive : a.id < b.id;
    });

    d.consumers.clear();
    const QList<RedisReply> &consumers = parts[4].elements();
    for (qsizetype i = 0; i + 3 < consumers.size(); i += 4) {
        d.consumers.append({QString::fromUtf8(consumers[i].toByteArray()),
                            consumers[i + 1].toInteger(), consumers[i + 2].toInteger(),
                            consumers[i + 3].toInteger() == 1});
    }

    QList<TimeoutSample> samples;
    for (const RedisReply &entry : parts[5].elements()) {
        const QByteArray text = entry.toByteArray();
        const qsizetype colon = text.indexOf(':');
        if (colon > 0)
            samples.append({text.left(colon).toLongLong(), text.mid(colon + 1).toLongLong()});
    }
    summarizeTimeouts(d, samples, now);
    return true;
}

} // namespace presence
