#include "RoomSnapshotCache.h"

#include <algorithm>
#include <cmath>

namespace presence {

namespace {
constexpr qsizetype minChangedMembers = 16;
} // namespace

RoomSnapshotCache::RoomSnapshotCache(const PresenceEngine &engine, Limits limits)
    : m_engine(engine)
    , m_limits(limits)
{
}

RoomSnapshotCache::Entry &RoomSnapshotCache::fresh(const RoomName &room, qint64 nowMs)
{
    Entry &entry = m_rooms[room];
    entry.roster = std::make_shared<const RoomSnapshot>(m_engine.roomSnapshot(room),
                                                        m_engine.lastEventIdOf({room}), false);
    entry.changed.clear();
    entry.builtMs = nowMs;
    return entry;
}

QList<SseSession::Piece> RoomSnapshotCache::joinPieces(const ClientId &client,
                                                       const QList<RoomName> &rooms, qint64 nowMs,
                                                       EventId *lastId)
{
    // Every row of a member that changed carries the newest id; rows of members that did not
    // change carry their roster's older id, which is as true now (nothing happened to them
    // in between). Several rooms are all taken at the newest id, or a client resuming from the
    // last row's id could be replayed another room's changes it was shown as state.
    const EventId head = m_engine.lastEventIdOf(rooms);
    QList<SseSession::Piece> pieces;
    *lastId = EventId{};
    for (const RoomName &room : rooms) {
        auto found = m_rooms.find(room);
        const bool usable = found != m_rooms.end() && nowMs - found->builtMs < m_limits.maxAgeMs &&
                            (rooms.size() == 1 || found->roster->head() == head);
        Entry &entry = usable ? *found : fresh(room, nowMs);
        QSet<ClientId> leftOut{client};
        QByteArray current;
        for (auto it = entry.changed.cbegin(); it != entry.changed.cend(); ++it) {
            leftOut.insert(it.key());
            const PresenceEvent &change = it.value();
            if (change.client == client || change.status != PresenceStatus::Online)
                continue;
            current += SseSession::format(PresenceEvent{head,
                                                        change.client,
                                                        change.status,
                                                        change.reason,
                                                        change.atMs,
                                                        {},
                                                        change.room},
                                          true);
        }
        pieces += entry.roster->piecesWithout(leftOut);
        if (!current.isEmpty())
            pieces.append(SseSession::pieceOf(std::move(current)));
        *lastId = std::max(*lastId, entry.changed.isEmpty() ? entry.roster->head() : head);
    }
    return pieces;
}

void RoomSnapshotCache::record(const PresenceEvent &event)
{
    const auto found = m_rooms.find(event.room);
    if (found == m_rooms.end())
        return;
    found->changed.insert(event.client, event);
    // Each joiner formats the changed members for itself, a rebuild formats the whole roster
    // once for all: in a join storm (a change per joiner) rebuilding past √rows changes keeps
    // both near √rows per joiner; before, a 5,000 storm formatted up to 1,024 rows per joiner.
    const auto rows = qsizetype(std::sqrt(double(found->roster->rows())));
    const qsizetype limit =
        std::clamp<qsizetype>(2 * rows, minChangedMembers, m_limits.maxChangedMembers);
    if (found->changed.size() > limit)
        m_rooms.erase(found); // the next joiner rebuilds it
}

void RoomSnapshotCache::prune(qint64 nowMs)
{
    m_rooms.removeIf(
        [&](const auto &entry) { return nowMs - entry.value().builtMs >= m_limits.maxAgeMs; });
}

} // namespace presence
