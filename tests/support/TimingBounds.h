#pragma once

#include <QtGlobal>

namespace presence::test {

// The promise under test: OFFLINE within TTL + 0.5 s. Sanitizer builds run several times
// slower and check memory safety, not timing, so they get a looser bound; the timing promise
// itself is held by the plain builds, which CI runs too.
#if defined(__SANITIZE_ADDRESS__)
constexpr qint64 offlineLatenessBoundMs = 2000;
#else
constexpr qint64 offlineLatenessBoundMs = 500;
#endif

} // namespace presence::test
