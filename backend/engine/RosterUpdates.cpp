#include "RosterUpdates.h"

#include <QSet>

#include <algorithm>

namespace presence {

bool applyPresenceEvent(RosterTable &rows, const PresenceEvent &event, qint64 ttlMs)
{
    const bool known = rows.find(event.member()) != nullptr;
    ClientPresence &found = rows.upsert(event.member());
    if (known && found.status == event.status)
        return false;
    found.status = event.status;
    found.reason = event.reason;
    found.sinceMs = event.atMs;
    if (event.status == PresenceStatus::Online) {
        found.lastSeenMs = event.atMs;
        found.deadlineMs = event.atMs + ttlMs;
    } else {
        found.deadlineMs = 0;
        found.connections = 0;
        found.nodes.clear();
    }
    return true;
}

void pruneOfflineRows(RosterTable &rows, qint64 keep)
{
    QList<QPair<qint64, RoomMember>> offline;
    rows.forEach([&offline](const ClientPresence &row) {
        if (row.status == PresenceStatus::Offline)
            offline.append({row.sinceMs, row.member()});
    });
    if (offline.size() <= keep)
        return;
    std::sort(offline.begin(), offline.end());
    for (qsizetype i = 0; i < offline.size() - keep; ++i)
        rows.remove(offline[i].second);
}

void OfflineRowBound::changed(RosterTable &rows, qint64 changes)
{
    m_pending += changes;
    if (rows.size() <= 2 * m_keep || m_pending < std::max<qint64>(m_keep, 1))
        return;
    m_pending = 0;
    ++m_scans;
    pruneOfflineRows(rows, m_keep);
}

QList<PresenceEvent> rosterCorrections(const RosterTable &known, const QList<ClientPresence> &fresh,
                                       EventId at, qint64 nowMs, const QString &node)
{
    QList<PresenceEvent> corrections;
    QSet<RoomMember> present;
    for (const ClientPresence &row : fresh) {
        present.insert(row.member());
        const ClientPresence *before = known.find(row.member());
        if (!before ? row.status == PresenceStatus::Online : before->status != row.status)
            corrections.append({at, row.client, row.status, QStringLiteral("resync"), nowMs, node,
                                row.room, true});
    }
    known.forEach([&](const ClientPresence &row) {
        if (row.status == PresenceStatus::Online && !present.contains(row.member()))
            corrections.append({at, row.client, PresenceStatus::Offline, QStringLiteral("resync"),
                                nowMs, node, row.room, true});
    });
    return corrections;
}

} // namespace presence
