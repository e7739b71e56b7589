#pragma once

#include "engine/EngineDiagnostics.h"
#include "engine/ProcessorBacklog.h"
#include "model/PresenceEvent.h"
#include "model/PresenceTiming.h"

#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

namespace presence {

// What every presence engine does, whatever holds the state (this process, or Redis).
//
// The node reports what it sees of its own connections; the engine decides transitions
// and reports each exactly once through presenceChanged(), with a monotonically
// increasing EventId. Callers must not assume the signal is emitted synchronously.
class PresenceEngine : public QObject {
    Q_OBJECT
public:
    struct History {
        bool complete = false;        // false: the range was trimmed away; send a snapshot
        QList<PresenceEvent> events;  // events after the requested id, oldest first
    };
    using HistoryCallback = std::function<void(History)>;
    using RosterCallback = std::function<void(QList<ClientPresence>)>;
    using DiagnosticsCallback = std::function<void(const EngineDiagnostics &)>;

    // How the engine's store is doing, for /health and the dashboard.
    struct Health {
        bool ok = true;
        QString state;  // "up", "connecting", "down", …
        QString detail; // the last error, when not ok
    };

    using QObject::QObject;

    virtual QString kind() const = 0;

    // This node holds `connections` open connections of the member (0: the last one closed;
    // the node calls leave() once its grace period passes without a new one). A member is a
    // client in a room; a bare ClientId is the default room.
    virtual void setConnections(const RoomMember &member, int connections) = 0;
    // The node's periodic heartbeat for the members it holds.
    virtual void heartbeat(const QList<RoomMember> &members) = 0;
    // The member's last connection on this node closed and the grace period passed.
    virtual void leave(const RoomMember &member) = 0;

    // This node's view of the roster (what its sessions were told), every room, synchronously.
    virtual QList<ClientPresence> snapshot() const = 0;
    // The same for one room, in no particular order.
    virtual QList<ClientPresence> roomSnapshot(const RoomName &room) const;
    // The shared roster, as every node would answer it (GET /api/presence); may be async.
    virtual void readRoster(RosterCallback callback) { callback(snapshot()); }
    virtual EventId lastEventId() const = 0;
    // Events after `after`; the callback may run before this returns or later.
    virtual void history(EventId after, HistoryCallback callback) = 0;
    // Where the ids a session of these rooms is sent come from. One stream (memory, one Redis):
    // every event's id is comparable with every other, lastEventId() and history() serve all
    // rooms. Redis Cluster: each shard's stream has ids of its own, so a session's ids compare
    // only when its rooms share a shard (idsOrderedAcross), the roster of its rooms is stamped
    // with that shard's newest id (lastEventIdOf) and a resume replays that shard's stream
    // (historyFor). A session in rooms of several shards is given a RoomCursor instead (each
    // room's place, lastEventIdOf({room})) and resumes from it with historyAcross.
    virtual bool idsOrderedAcross(const QList<RoomName> & /*rooms*/) const { return true; }
    virtual EventId lastEventIdOf(const QList<RoomName> & /*rooms*/) const { return lastEventId(); }
    virtual void historyFor(EventId after, const QList<RoomName> & /*rooms*/, HistoryCallback callback)
    {
        history(after, std::move(callback));
    }
    // The resume of a session whose ids are not ordered across its rooms, from its RoomCursor:
    // at least the events after afterPerRoom[i] of each rooms[i] (others too, of other rooms or
    // already seen: the caller filters), each stream's oldest first; complete only when every
    // room's stream still holds its place. An engine with one stream never hands out a cursor.
    virtual void historyAcross(const QList<EventId> & /*afterPerRoom*/,
                               const QList<RoomName> & /*rooms*/, HistoryCallback callback)
    {
        callback(History{});
    }

    // The rooms this node's readers need live (a session's rooms; an operator's feed; no rooms:
    // every room): their roster in snapshot() and their transitions in presenceChanged. An
    // engine that has every room live anyway answers true. A Redis Cluster node reads only the
    // shards its readers need: false while one of these is not yet read, and `live` runs once
    // every one is (never if they are unfollowed first). Each follow() is matched by one
    // unfollow() of the same rooms, once the reader is gone.
    virtual bool follow(const QList<RoomName> & /*rooms*/, std::function<void()> /*live*/)
    {
        return true;
    }
    virtual void unfollow(const QList<RoomName> & /*rooms*/) {}

    virtual Health health() const { return Health{true, QStringLiteral("up"), {}}; }
    // The heartbeat processors' backlog, where the store has processors (unknown otherwise).
    virtual ProcessorBacklog processorBacklog() const { return {}; }

    // Everything the engine can tell (EngineDiagnostics), read asynchronously: the callback
    // runs later (never before this returns), and not at all once `context` is gone.
    virtual void readDiagnostics(const QObject *context, DiagnosticsCallback callback) = 0;
    // What this node holds, for the record it publishes (EngineDiagnostics::nodes).
    void setSessionCount(qint64 sessions) { m_sessions = sessions; }
    qint64 sessionCount() const { return m_sessions; }
    // Expired-key notifications, where the store has them (Redis: adds or removes only the x
    // class of notify-keyspace-events, for every client of that server).
    virtual void setExpiredNotificationsWanted(bool /*wanted*/) {}

    virtual PresenceTiming timing() const = 0;
    virtual void setTiming(const PresenceTiming &timing) = 0;

Q_SIGNALS:
    void presenceChanged(const presence::PresenceEvent &event);
    // The roster was replaced wholesale (first sync with a shared store); re-read snapshot().
    void rosterReset();
    void healthChanged();
    // Something readDiagnostics() reports changed on its own (e.g. the keyspace setting).
    void diagnosticsChanged();

protected:
    // Runs `callback(value)` from the event loop, unless `context` went away first.
    static void deliverLater(const QObject *context, DiagnosticsCallback callback,
                             EngineDiagnostics value);

private:
    qint64 m_sessions = 0;
};

} // namespace presence
