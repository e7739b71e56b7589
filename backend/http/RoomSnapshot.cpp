#include "RoomSnapshot.h"

#include <algorithm>

namespace presence {

RoomSnapshot::RoomSnapshot(const QList<ClientPresence> &rows, EventId head, bool includeOffline)
    : m_head(head)
{
    QByteArray bytes;
    m_ranges.reserve(rows.size());
    for (const ClientPresence &row : rows) {
        if (row.status != PresenceStatus::Online && !includeOffline)
            continue;
        const qsizetype begin = bytes.size();
        bytes += SseSession::format(
            PresenceEvent{head, row.client, row.status, row.reason, row.sinceMs, {}, row.room},
            true);
        m_ranges.insert(row.client, Range{begin, bytes.size()});
    }
    bytes.squeeze();
    m_bytes = std::make_shared<const QByteArray>(std::move(bytes));
}

QList<SseSession::Piece> RoomSnapshot::piecesWithout(const QSet<ClientId> &clients) const
{
    QList<Range> skipped;
    for (const ClientId &client : clients) {
        const auto range = m_ranges.constFind(client);
        if (range != m_ranges.cend())
            skipped.append(*range);
    }
    std::sort(skipped.begin(), skipped.end(),
              [](const Range &a, const Range &b) { return a.begin < b.begin; });
    QList<SseSession::Piece> pieces;
    qsizetype at = 0;
    for (const Range &range : std::as_const(skipped)) {
        if (range.begin > at)
            pieces.append(SseSession::Piece{m_bytes, at, range.begin});
        at = range.end;
    }
    if (m_bytes->size() > at)
        pieces.append(SseSession::Piece{m_bytes, at, m_bytes->size()});
    return pieces;
}

} // namespace presence
