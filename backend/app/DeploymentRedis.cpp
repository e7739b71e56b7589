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
    if (url->seeds().size() > 1 && !options.keyPrefix.isEmpty()) {
        *error = QStringLiteral("--key-prefix does not apply to a Redis Cluster (several hosts in "
                                "--redis): each shard's keys carry its own hash tag");
        return std::nullopt;
    }
    if (!options.redisPassword.isEmpty())
        url = url->withCredentials(url->user(), options.redisPassword);
    return url->withTlsFiles({options.redisTlsCa, options.redisTlsCert, options.redisTlsKey});
}

} // namespace presence
