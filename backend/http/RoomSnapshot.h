#pragma once

#include "SseSession.h"
#include "model/PresenceEvent.h"

#include <QHash>
#include <QSet>
#include <memory>

namespace presence {

// The roster of one room formatted once (every row a "snapshot":true event carrying `head`),
// for all the sessions that join at that id: an 80,000-member room is one 12 MB buffer however
// many join at once, and each joiner leaves out its own row by skipping its byte range.
class RoomSnapshot final {
public:
    RoomSnapshot(const QList<ClientPresence> &rows, EventId head, bool includeOffline);

    EventId head() const { return m_head; }
    qsizetype bytes() const { return m_bytes->size(); }
    qsizetype rows() const { return m_ranges.size(); }
    // The whole roster but the rows of `clients` (a joiner's own, and those that changed since
    // `head`), as pieces between the rows left out.
    QList<SseSession::Piece> piecesWithout(const QSet<ClientId> &clients) const;

private:
    struct Range {
        qsizetype begin = 0;
        qsizetype end = 0;
    };
    std::shared_ptr<const QByteArray> m_bytes;
    QHash<ClientId, Range> m_ranges;
    EventId m_head;
};

} // namespace presence
