#pragma once

#include <QtGlobal>

#include <cmath>

namespace presence {

// The timing knobs every engine and node share (see DESIGN.md, "Command line").
struct PresenceTiming {
    qint64 heartbeatMs = 5000;  // heartbeat period d
    double ttlFactor = 1.5;     // a client's key lives ttlFactor·d after its last heartbeat
    qint64 graceMs = 2000;      // no connection for this long ⇒ OFFLINE "left"

    qint64 ttlMs() const { return qint64(std::llround(double(heartbeatMs) * ttlFactor)); }
    friend bool operator==(const PresenceTiming &, const PresenceTiming &) = default;
};

} // namespace presence
