#pragma once

#include "engine/Alerts.h"
#include "engine/EngineDiagnostics.h"

#include <QJsonObject>

namespace presence {

// GET /api/nodes: every node with its figures (dead ones with when they stopped), the
// processors' consumers (those of dead nodes flagged), the store and the active alerts.
QJsonObject nodesToJson(const EngineDiagnostics &diagnostics, const QList<Alert> &alerts);
QJsonObject toJson(const NodeStatus &node);
// The store's layout (primary, replicas, Sentinels, TLS): "topology" in /api/nodes.
QJsonObject toJson(const StoreTopology &topology);
// A Redis Cluster's primaries (slots, shards, keys, replicas) and presence shards (slot,
// primary, rooms, streams, processors): "cluster" in /api/nodes, null off a cluster.
QJsonObject toJson(const ClusterStatus &cluster);

} // namespace presence
