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
    RedisObserverEngine::Config config;
    config.keys.prefix = options.keyPrefix.toUtf8();
    config.observerId = observerId;
    config.timing = options.timing;
    auto engine = std::make_unique<RedisObserverEngine>(*url, config);
    engine->start();
    return engine;
}

} // namespace presence
