#include "TopologyReply.h"

#include "redis/RedisConnection.h"

#include <algorithm>

namespace presence {

namespace {
QString addressOf(const RedisUrl &url)
{
    if (url.transport() == RedisUrl::Transport::Unix)
        return url.socketPath();
    return QStringLiteral("%1:%2").arg(url.host()).arg(url.port());
}
} // namespace

StoreTopology knownTopology(const RedisConnection &connection)
{
    StoreTopology topology;
    topology.known = true;
    const RedisUrl &url = connection.url();
    if (!connection.server().isSentinel()) // a Sentinel group names its primary first
        topology.server = addressOf(connection.server());
    for (const RedisUrl::HostPort &sentinel : url.sentinels())
        topology.sentinels.append(QStringLiteral("%1:%2").arg(sentinel.host).arg(sentinel.port));
    topology.answeringSentinel = connection.answeringSentinel();
    topology.tls = url.usesTls();
    topology.tlsMutual = url.usesTls() && !url.tlsFiles().certFile.isEmpty();
    return topology;
}

QList<QByteArray> roleCommand()
{
    return {QByteArrayLiteral("ROLE")};
}

void parseRoleReply(const RedisReply &reply, StoreTopology &into)
{
    const QList<RedisReply> &parts = reply.elements();
    if (reply.isError() || parts.isEmpty()) {
        into.roleError = reply.isError() ? QString::fromUtf8(reply.toByteArray())
                                         : QStringLiteral("unexpected ROLE reply");
        return;
    }
    into.role = QString::fromUtf8(parts.first().toByteArray());
    if (into.role != u"master" || parts.size() < 3)
        return;
    // ["master", offset, [[ip, port, acknowledged offset], …]]
    const qint64 offset = parts[1].toInteger();
    for (const RedisReply &replica : parts[2].elements()) {
        const QList<RedisReply> &fields = replica.elements();
        if (fields.size() < 3)
            continue;
        bool ok = false;
        const qint64 acknowledged = fields[2].toInteger(&ok);
        into.replicas.append(
            {QStringLiteral("%1:%2").arg(QString::fromUtf8(fields[0].toByteArray()),
                                         QString::fromUtf8(fields[1].toByteArray())),
             ok ? std::max<qint64>(offset - acknowledged, 0) : -1});
    }
}

} // namespace presence
