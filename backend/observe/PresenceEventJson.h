#pragma once

#include "model/PresenceEvent.h"

#include <QJsonObject>
#include <optional>

namespace presence {

// The SSE event data (PresenceEvent::toJson(), plus "snapshot":true on roster rows) read back,
// as a node's /api/events sends it. nullopt (and *whyNot) for data that is no presence event.
std::optional<PresenceEvent> presenceEventFromJson(const QByteArray &json, bool *snapshot = nullptr,
                                                   QString *whyNot = nullptr);

// One row of GET /api/presence ("clients": […]) read back; nullopt for a row that breaks the rules.
std::optional<ClientPresence> clientPresenceFromJson(const QJsonObject &row);

// The line `presence --observe --headless` prints: the SSE event data, "snapshot":true on
// roster rows, no newline.
QByteArray presenceJsonLine(const PresenceEvent &event, bool snapshot);

} // namespace presence
