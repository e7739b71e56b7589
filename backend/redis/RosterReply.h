#pragma once

#include "model/PresenceEvent.h"
#include "redis/RedisReply.h"

#include <QList>

namespace presence {

// The shared roster as replies read in one pipeline: HGETALL presence:status, HGETALL
// presence:info (JSON per client), ZRANGE presence:deadlines WITHSCORES and, optionally,
// FCALL presence_live_nodes ({now, node…}). With the last, a row counts only the connections
// of nodes alive now (info's per-node `counts`), so a dead node's stop counting at once
// rather than when someone next connects or leaves; without it (an error, a Nil: an older
// library) rows keep the totals as written.
struct RosterReply {
    RedisReply status;
    RedisReply info;
    RedisReply deadlines;
    RedisReply liveNodes;

    // Rows sorted by client; entries that do not parse (junk written by others) are skipped.
    QList<ClientPresence> rows(qint64 ttlMs) const;
};

} // namespace presence
