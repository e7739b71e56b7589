#pragma once

#include <QString>

namespace presence {

// How long ago `thenMs` was at `nowMs` (both wall-clock ms): "now", "12 s ago", "3 min ago",
// "2 h 5 min ago", "4 d ago"; "—" for no time at all (0). Operators read "how long" faster
// than they subtract clock times; the absolute time goes in a tooltip beside it.
QString relativeTime(qint64 thenMs, qint64 nowMs);

} // namespace presence
