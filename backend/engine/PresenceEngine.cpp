#include "PresenceEngine.h"

#include <QTimer>

namespace presence {

QList<ClientPresence> PresenceEngine::roomSnapshot(const RoomName &room) const
{
    QList<ClientPresence> rows = snapshot();
    rows.removeIf([&room](const ClientPresence &row) { return row.room != room; });
    return rows;
}

void PresenceEngine::deliverLater(const QObject *context, DiagnosticsCallback callback,
                                  EngineDiagnostics value)
{
    QTimer::singleShot(0, context, [callback = std::move(callback), value = std::move(value)] {
        callback(value);
    });
}

} // namespace presence
