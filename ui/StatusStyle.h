#pragma once

#include "model/PresenceEvent.h"

#include <QColor>
#include <QIcon>

namespace presence {

// How a status looks everywhere in the dashboard. Never colour alone: the text says ONLINE or
// OFFLINE and the shape differs (a filled dot, a ring; a ring with a cross for a timeout), so
// the roster reads in greyscale, for colour-blind operators and in any palette.
QColor statusColor(PresenceStatus status, const QString &reason = {});

// The status shapes, painted once per model (not as globals: pixmaps must not outlive the
// application object).
class StatusIcons {
public:
    StatusIcons();
    const QIcon &icon(PresenceStatus status, const QString &reason) const;

private:
    QIcon m_online;
    QIcon m_timedOut;
    QIcon m_offline;
};

} // namespace presence
