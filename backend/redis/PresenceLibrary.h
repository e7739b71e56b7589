#pragma once

#include "redis/RedisConnection.h"

#include <QByteArray>
#include <QString>

#include <functional>

namespace presence {

// The Redis Functions library (resources/redis/presence/*.lua, joined at build time) that makes every state
// transition atomic. Loaded with FUNCTION LOAD REPLACE at start-up and after every reconnect
// (a restarted Redis without persistence has forgotten it), unless a newer version is loaded:
// in a rolling upgrade the newest node's library wins and older nodes keep working with it.
class PresenceLibrary {
public:
    using Done = std::function<void(bool ok, const QString &message)>;

    static QByteArray source();
    static int version(); // the VERSION the source declares

    static void load(RedisConnection &connection, Done done);
};

} // namespace presence
