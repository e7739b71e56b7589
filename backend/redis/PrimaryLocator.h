#pragma once

#include "redis/RedisUrl.h"

#include <QObject>
#include <QString>
#include <functional>
#include <optional>

namespace presence {

// Where a RedisConnection connects when its URL does not say so itself: asked before every
// connect attempt, and followed as it moves. SentinelPrimary (the primary a Sentinel group
// names) and ClusterSlotOwner (the primary that serves one Redis Cluster slot) are the two.
class PrimaryLocator : public QObject {
    Q_OBJECT
public:
    // server: where to connect; or nullopt and why none is known.
    using Found = std::function<void(const std::optional<RedisUrl> &server, const QString &why)>;

    using QObject::QObject;

    // Calls `found` once, from the event loop, unless cancel() (or a newer locate()) comes first.
    virtual void locate(Found found) = 0;
    virtual void cancel() = 0;
    // Starts following the primary as it moves (idempotent): moved() from then on.
    virtual void follow() = 0;

    // For the connection's messages: what it connects to when at `server` ("… (primary h:p)"),
    // why a connect attempt gave up while locating, why it left a primary that moved.
    virtual QString describe(const RedisUrl &url, const RedisUrl &server) const = 0;
    virtual QString notLocatedWithin(const RedisUrl &url, int ms) const = 0;
    virtual QString movedAway(const QString &host, quint16 port) const = 0;
    // Whether the connection checks ROLE after login (a Sentinel may name a demoted primary).
    virtual bool checksRole() const { return false; }
    // Who answered last, for logs and the dashboard (a Sentinel's host:port); empty: nobody.
    virtual QString lastAnswer() const { return {}; }
    // The server answered MOVED: the locator's picture is stale.
    virtual void redirected() {}

Q_SIGNALS:
    // The primary is now host:port.
    void moved(const QString &host, quint16 port);
};

} // namespace presence
