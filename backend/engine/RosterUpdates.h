#pragma once

#include "engine/RosterTable.h"

namespace presence {

// How a copy of the shared roster follows the presence stream: the Redis engine's mirror and
// the observers' copies apply events and re-reads the same way.

// Applies one transition to the copy; false when it changes nothing (a repeat: the stream was
// read again after a roster read, or another program wrote the same status twice).
bool applyPresenceEvent(RosterTable &rows, const PresenceEvent &event, qint64 ttlMs);

// Keeps at most `keep` OFFLINE rows, dropping the longest-gone first.
void pruneOfflineRows(RosterTable &rows, qint64 keep);

// What a view that held `known` must be told to hold `fresh`: a correction (reason "resync",
// id `at`, PresenceEvent::correction set) for every member whose status differs, and OFFLINE
// for those ONLINE and gone.
QList<PresenceEvent> rosterCorrections(const RosterTable &known, const QList<ClientPresence> &fresh,
                                       EventId at, qint64 nowMs, const QString &node);

} // namespace presence
