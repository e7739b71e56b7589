#pragma once

#include "model/PresenceEvent.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"
#include "redis/RedisReply.h"

#include <QList>
#include <QObject>

#include <functional>

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

    // The first error among the four replies, or an empty one.
    QByteArray firstError() const
    {
        for (const RedisReply *part : {&status, &info, &deadlines, &liveNodes}) {
            if (part->isError())
                return part->toByteArray();
        }
        return {};
    }

    // Rows sorted by client; entries that do not parse (junk written by others) are skipped.
    QList<ClientPresence> rows(qint64 ttlMs) const;

    // Sends the four reads back to back on `connection` (one pipeline, read-only: FCALL_RO)
    // and hands the replies on once the last is in; dropped uncalled when `context` is gone.
    static void read(RedisConnection &connection, const RedisKeys &keys, const QObject *context,
                     std::function<void(const RosterReply &reply)> done);
};

} // namespace presence
