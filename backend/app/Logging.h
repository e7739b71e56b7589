#pragma once

namespace presence {

// Timestamped, categorised log lines on stderr ("2026-11-27T20:00:00.123Z info presence.http: …").
// QT_LOGGING_RULES still selects categories (e.g. "presence.*.debug=true").
void installLogFormat();

} // namespace presence
