#pragma once

#include "RoomSnapshot.h"
#include "engine/PresenceEngine.h"

#include <QHash>

namespace presence {

// What a session that joins is sent first, shared between joiners: per room, the roster
// formatted at some id H (a RoomSnapshot) and the latest change of each member that changed
// since. A joiner gets the shared roster without the rows of the members that changed (and
// its own), then those members' current state: the roster as of now, every row
// "snapshot":true, so joiners at different ids share one formatted roster. An entry is
// rebuilt once more than 2·√rows (at most `maxChangedMembers`) changed, once it is older
// than `maxAgeMs`, or when the engine replaced its roster wholesale.
class RoomSnapshotCache final {
public:
    struct Limits {
        qsizetype maxChangedMembers = 1024;
        qint64 maxAgeMs = 30000;
    };

    explicit RoomSnapshotCache(const PresenceEngine &engine)
        : RoomSnapshotCache(engine, Limits{})
    {
    }
    RoomSnapshotCache(const PresenceEngine &engine, Limits limits);

    // The pieces that bring `client`, joining `rooms`, up to date (ONLINE members only), and
    // in *lastId the newest event id they carry. Several rooms are all taken at one id, so a
    // client resuming from the last id it saw misses nothing and gets nothing twice.
    QList<SseSession::Piece> joinPieces(const ClientId &client, const QList<RoomName> &rooms,
                                        qint64 nowMs, EventId *lastId);
    // A change in a room.
    void record(const PresenceEvent &event);
    void clear() { m_rooms.clear(); }
    // Drops entries past their age (memory of rooms nobody joins).
    void prune(qint64 nowMs);
    qsizetype entries() const { return m_rooms.size(); }

private:
    struct Entry {
        std::shared_ptr<const RoomSnapshot> roster;
        QHash<ClientId, PresenceEvent> changed; // each member's latest change since the roster
        qint64 builtMs = 0;
    };
    Entry &fresh(const RoomName &room, qint64 nowMs);

    const PresenceEngine &m_engine;
    Limits m_limits;
    QHash<RoomName, Entry> m_rooms;
};

} // namespace presence
