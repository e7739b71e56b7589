#pragma once

#include "model/PresenceEvent.h"
#include "redis/RedisReply.h"

#include <QList>

namespace presence {

// The shared roster as three replies read in one pipeline: HGETALL presence:status,
// HGETALL presence:info (JSON per client) and ZRANGE presence:deadlines WITHSCORES.
struct RosterReply {
    RedisReply status;
    RedisReply info;
    RedisReply deadlines;

    // Rows sorted by client; entries that do not parse (junk written by others) are skipped.
    QList<ClientPresence> rows(qint64 ttlMs) const;
};

} // namespace presence
