#include "ObserverFactory.h"

#include "observe/HttpObserverEngine.h"
#include "observe/RedisObserverEngine.h"
#include "app/DeploymentRedis.h"

namespace presence {

std::unique_ptr<PresenceEngine> startObserverEngine(const Options &options, const QString &observerId,
                                                    QString *error)
{
    if (!options.observeUrl.isEmpty()) {
        QString whyNot;
        if (!checkObserveUrl(options.observeUrl, &whyNot)) {
            *error = QStringLiteral("--observe: ") + whyNot;
            return nullptr;
        }
        HttpObserverEngine::Config config;
        config.node = QUrl(options.observeUrl);
        config.adminToken = options.adminToken;
        config.timing = options.timing;
        auto engine = std::make_unique<HttpObserverEngine>(config);
        engine->start();
        return engine;
    }
    const auto url = deploymentRedisUrl(options, error);
    if (!url)
        return nullptr;
    // A cluster keeps each shard's roster on the primary serving its slot, under its own hash
    // tag: the observer's reads of one Redis would see none of it. Said at once, with the way
    // that works (a node's feed reads every shard while it is watched). One node of a cluster
    // is not asked (INFO is no read a read-only user may make): its redirects tell.
    if (url->seeds().size() > 1) {
        *error = QStringLiteral("--observe: %1 is a Redis Cluster, which an observer cannot read "
                                "through Redis (each shard's roster lives on its own primary); "
                                "watch it through a node instead: --observe http://NODE:PORT")
                     .arg(url->toDisplayString());
        return nullptr;
    }
    RedisObserverEngine::Config config;
    config.keys.prefix = options.keyPrefix.toUtf8();
    config.observerId = observerId;
    config.timing = options.timing;
    auto engine = std::make_unique<RedisObserverEngine>(*url, config);
    engine->start();
    return engine;
}

} // namespace presence
