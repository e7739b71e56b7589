#pragma once

#include <QtGlobal>

namespace presence::test {

// The promise under test: OFFLINE within TTL + 0.5 s. Sanitizer builds run several times
// slower and check memory safety, not timing, so they get a looser bound; the timing promise
// itself is held by the plain builds, which CI runs too.
#if defined(__SANITIZE_ADDRESS__)
constexpr qint64 offlineLatenessBoundMs = 2000;
// Slack on a timing bound for a busy CI machine (the same reasoning, for other deadlines).
constexpr qint64 busyMachineSlackMs = 1500;
#else
constexpr qint64 offlineLatenessBoundMs = 500;
constexpr qint64 busyMachineSlackMs = 400;
#endif

} // namespace presence::test
