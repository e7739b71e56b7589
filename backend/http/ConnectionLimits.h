#pragma once

#include <QtGlobal>

namespace presence {

// What one node accepts from the network before it refuses. The defaults suit a server on
// this machine's 20,000 open-file limit; tests and benchmarks pass their own.
struct ConnectionLimits {
    int maxConnections = 19500;      // TCP connections held at once (SSE or not)
    int maxPerAddress = 2000;        // from one remote address
    int maxSessions = 19000;         // SSE sessions on this node (503 beyond)
    int maxSessionsPerAddress = 1000; // SSE sessions from one remote address (429 beyond)
    int maxRoomsPerSession = 16;     // ?room= values on one stream (400 beyond)
    qint64 idleTimeoutMs = 15000;    // a non-SSE connection with no traffic this long is closed
    int maxUrlBytes = 2048;          // request target (414 beyond)
    qint64 maxRequestBytes = 32 * 1024; // received before an answer (only GETs are served): beyond, closed
};

} // namespace presence
