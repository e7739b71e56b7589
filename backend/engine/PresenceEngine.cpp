#include "PresenceEngine.h"

namespace presence {

QList<ClientPresence> PresenceEngine::roomSnapshot(const RoomName &room) const
{
    QList<ClientPresence> rows = snapshot();
    rows.removeIf([&room](const ClientPresence &row) { return row.room != room; });
    return rows;
}

} // namespace presence
