#pragma once

#include "app/Options.h"
#include "engine/PresenceEngine.h"

#include <memory>

namespace presence {

// The engine of `presence --observe`: HttpObserverEngine for --observe http://host:port,
// RedisObserverEngine for --observe with --redis. Started; null (and *error) on a bad URL.
std::unique_ptr<PresenceEngine> startObserverEngine(const Options &options, const QString &observerId,
                                                    QString *error);

} // namespace presence
