#pragma once

#include "engine/StoreTopology.h"
#include "redis/RedisReply.h"

#include <QList>

namespace presence {

class RedisConnection;

// What `connection` knows of the layout without asking: the server it is on, the Sentinels its
// URL names and the one that answered last, TLS. ROLE's part is added by parseRoleReply.
StoreTopology knownTopology(const RedisConnection &connection);

// ROLE: not callable from a function (it is flagged noscript), so it goes out as a command of
// its own, pipelined with the diagnostics FCALL_RO (no extra round trip).
QList<QByteArray> roleCommand();
// Fills role, replicas (for a primary) or roleError into `into`.
void parseRoleReply(const RedisReply &reply, StoreTopology &into);

} // namespace presence
