#include "redis/ClusterProbe.h"

#include "redis/RedisConnection.h"

#include <QEventLoop>
#include <QTimer>

namespace presence {

std::optional<bool> probeClusterNode(const RedisUrl &url, int timeoutMs)
{
    RedisConnection::Options options;
    options.connectTimeoutMs = timeoutMs;
    options.clientName = "presence:probe";
    RedisConnection connection(url, options);
    std::optional<bool> answer;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    connection.command({"INFO", "cluster"}, [&](const RedisReply &reply) {
        if (!reply.isError())
            answer = reply.toByteArray().contains("cluster_enabled:1");
        loop.quit(); // an error (the connection lost, a refused login): no answer
    });
    connection.open();
    deadline.start(timeoutMs);
    if (!answer)
        loop.exec();
    return answer;
}

} // namespace presence
