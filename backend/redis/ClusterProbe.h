#pragma once

#include "redis/RedisUrl.h"

#include <optional>

namespace presence {

// Whether the one Redis a redis:// (or rediss://) URL names is a Redis Cluster node: INFO
// cluster says cluster_enabled:1. Asked once at start-up, so that one node of a cluster is
// enough to run on all of it (the map names the rest). Waits at most `timeoutMs` (a nested
// event loop: call it before serving anything); nullopt when the server did not answer by then
// (down, hung, refusing the login): the caller decides without it.
std::optional<bool> probeClusterNode(const RedisUrl &url, int timeoutMs);

} // namespace presence
