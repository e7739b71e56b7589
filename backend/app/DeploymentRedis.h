#pragma once

#include "app/Options.h"
#include "redis/RedisUrl.h"

#include <optional>

namespace presence {

// The Redis a deployment stores in, as the options name it: --redis parsed, the password from a
// file or credential (it wins over the URL's) and the TLS files. A node and an observer build it
// the same way. nullopt (and *error, naming the option) when the URL does not parse.
std::optional<RedisUrl> deploymentRedisUrl(const Options &options, QString *error);

} // namespace presence
