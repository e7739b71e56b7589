#pragma once

#include "engine/EngineDiagnostics.h"
#include "redis/RedisKeys.h"
#include "redis/RedisReply.h"

#include <QList>

namespace presence {

// The node record this node publishes with presence_alive (EngineDiagnostics::nodes): what the
// nodes view shows of it. Small (about 120 bytes): it goes out with every heartbeat.
struct NodeRecord {
    QString version;
    qint64 startedAtMs = 0;
    qint64 sessions = 0;
    qint64 members = 0;
    double heartbeatsPerSecond = 0;
    qint64 roundTripMs = -1;

    QByteArray toJson() const;
};

// FCALL_RO presence_diagnostics with the keys it reads, from `keys` (names defined once, in
// RedisKeys; the function takes them as declared keys).
QList<QByteArray> diagnosticsCommand(const RedisKeys &keys);
// Fills the store's part of `into` (stream lengths, nodes, consumers, timeouts) from the reply;
// false when the reply is not one (an older library, an error).
bool parseDiagnosticsReply(const RedisReply &reply, EngineDiagnostics &into);

} // namespace presence
