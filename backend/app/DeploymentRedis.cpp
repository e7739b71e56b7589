#include "DeploymentRedis.h"

namespace presence {

std::optional<RedisUrl> deploymentRedisUrl(const Options &options, QString *error)
{
    QString whyNot;
    std::optional<RedisUrl> url = RedisUrl::parse(options.redisUrl, &whyNot);
    if (!url) {
        *error = QStringLiteral("--redis: ") + whyNot;
        return std::nullopt;
    }
    if (url->seeds().size() > 1) {
        *error = QStringLiteral("--redis: several hosts are the seeds of a Redis Cluster, and the "
                                "presence engine does not run on a Cluster yet; give one Redis "
                                "(redis://host:port) or a Sentinel group "
                                "(redis-sentinel://host:port,…#MASTER)");
        return std::nullopt;
    }
    if (!options.redisPassword.isEmpty())
        url = url->withCredentials(url->user(), options.redisPassword);
    return url->withTlsFiles({options.redisTlsCa, options.redisTlsCert, options.redisTlsKey});
}

} // namespace presence
