#pragma once

#include "redis/EmbeddedRedis.h"
#include "redis/RedisPresenceEngine.h"

#include <QHash>
#include <QList>

namespace presence::bench {

// One measurement of offline-detection lateness: `measured` clients share one TTL deadline,
// `background` other clients hold keys with a long TTL (what makes Redis' expiry cycle slow),
// and one engine (a node) reports the OFFLINEs. Lateness = when the node reported the OFFLINE
// minus the client's deadline in Redis (both on this machine's clock).
struct LatencyRun {
    enum class Path { NotificationsOnly, SweepOnly, Both };
    static QString pathName(Path path);

    Path path = Path::Both;
    int background = 1000;
    int measured = 200;
    qint64 ttlMs = 1000;
    qint64 waitMs = 20000; // give up on OFFLINEs not seen by deadline + this

    struct Result {
        QList<qint64> latenessMs; // one per OFFLINE seen, sorted
        int missing = 0;          // never seen within waitMs
        qint64 percentile(double p) const;
    };

    // Runs against a fresh private redis-server; false with *error when it could not.
    bool run(Result *result, QString *error) const;
};

} // namespace presence::bench
