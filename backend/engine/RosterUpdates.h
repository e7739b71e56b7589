#pragma once

#include "engine/RosterTable.h"

namespace presence {

// How a copy of the shared roster follows the presence stream: the Redis engine's mirror and
// the observers' copies apply events and re-reads the same way.

// Applies one transition to the copy; false when it changes nothing (a repeat: the stream was
// read again after a roster read, or another program wrote the same status twice).
bool applyPresenceEvent(RosterTable &rows, const PresenceEvent &event, qint64 ttlMs);

// Keeps at most `keep` OFFLINE rows, dropping the longest-gone first (a scan of every row).
void pruneOfflineRows(RosterTable &rows, qint64 keep);

// Bounds a copy's OFFLINE rows as it follows the stream, at an amortised cost: the copy is
// scanned (pruneOfflineRows) once it holds more than 2 × keep rows and `keep` changes came since
// the last scan - not after every change, which with 100,000 members ONLINE (none of them to
// drop) scanned 100,000 rows per event batch. Each change adds at most one OFFLINE row, so the
// copy holds its ONLINE rows and at most 2 × keep OFFLINE ones (keep after a scan, and fewer
// than keep changes until the next).
class OfflineRowBound {
public:
    explicit OfflineRowBound(qint64 keep)
        : m_keep(keep)
    {
    }
    // After `changes` events were applied to `rows`.
    void changed(RosterTable &rows, qint64 changes = 1);
    qint64 keep() const { return m_keep; }
    qint64 scans() const { return m_scans; }

private:
    qint64 m_keep;
    qint64 m_pending = 0; // changes since the last scan
    qint64 m_scans = 0;
};

// What a view that held `known` must be told to hold `fresh`: a correction (reason "resync",
// id `at`, PresenceEvent::correction set) for every member whose status differs, and OFFLINE
// for those ONLINE and gone.
QList<PresenceEvent> rosterCorrections(const RosterTable &known, const QList<ClientPresence> &fresh,
                                       EventId at, qint64 nowMs, const QString &node);

} // namespace presence
