#pragma once

#include "redis/RedisReply.h"
#include "redis/RedisUrl.h"

#include <optional>

namespace presence {

// What a Redis Cluster's error reply asks the client to do:
//   MOVED <slot> <host>:<port>  the slot lives there now: refresh the map, send it there;
//   ASK <slot> <host>:<port>    this key is being migrated there: send ASKING, then the
//                               command, to that node, once (the map stays as it is);
//   TRYAGAIN …                  a multi-key command met a slot in migration: retry later;
//   CLUSTERDOWN …               the cluster cannot serve (a shard lost its primary): later.
// Redis executed none of these commands, so sending them again is safe.
struct ClusterRedirect {
    enum class Kind { Moved, Ask, TryAgain, ClusterDown };
    Kind kind;
    int slot = -1;              // Moved and Ask
    RedisUrl::HostPort address; // Moved and Ask

    // nullopt for any other reply (a success, or an error that is the command's own).
    static std::optional<ClusterRedirect> fromReply(const RedisReply &reply);
    // ASK, TRYAGAIN or CLUSTERDOWN: not now, here (MOVED says where instead).
    static bool isDeferral(const RedisReply &reply);
    // Whether an error's text is one only a Redis Cluster node gives: any of the above, or
    // CROSSSLOT (keys of one command in several slots).
    static bool isFromCluster(QByteArrayView errorText);
};

} // namespace presence
