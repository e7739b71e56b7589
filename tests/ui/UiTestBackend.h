#pragma once

#include "app/PresenceBackend.h"

#include <QTest>

#include <memory>

namespace presence::test {

// A real node for widget tests: a free port, a short heartbeat (200 ms, so TTL 300 ms) and a
// short grace, on the in-memory engine unless a Redis URL is given.
inline Options uiTestOptions(const QString &redisUrl = {})
{
    Options options;
    options.headless = true;
    options.listenHost = QStringLiteral("127.0.0.1");
    options.listenPort = 0;
    options.engine = redisUrl.isEmpty() ? EngineChoice::Memory : EngineChoice::Redis;
    options.redisUrl = redisUrl;
    options.timing.heartbeatMs = 200;
    options.timing.ttlFactor = 1.5;
    options.timing.graceMs = 300;
    options.nodeId = QStringLiteral("ui-test");
    return options;
}

inline std::unique_ptr<PresenceBackend> startBackend(const Options &options, QString *error)
{
    auto backend = std::make_unique<PresenceBackend>(options);
    if (!backend->start(error))
        return nullptr;
    return backend;
}

} // namespace presence::test
