// The load generator's clocks, its reading of the node's memory and of SSE event lines, and its
// percentiles.
#pragma once

#include <QJsonObject>
#include <QtGlobal>

#include <cstddef>
#include <string_view>
#include <vector>

namespace loadgen {

qint64 realtimeUs();  // CLOCK_REALTIME, µs
qint64 monotonicUs(); // CLOCK_MONOTONIC, µs
// A field of /proc/PID/status in KiB (VmRSS, VmHWM), -1 if unreadable.
qint64 statusKiB(qint64 pid, const char *field);
inline qint64 rssKiB(qint64 pid) { return statusKiB(pid, "VmRSS"); }
inline qint64 hwmKiB(qint64 pid) { return statusKiB(pid, "VmHWM"); }
// Where `needle` starts in `text`, npos if absent.
size_t findIn(std::string_view text, std::string_view needle);
// The value of "key":"…" in a flat JSON object, empty if absent; `pattern` is "\"key\":\"".
std::string_view jsonString(std::string_view json, std::string_view pattern);
qint64 percentile(std::vector<qint64> values, double p);
// {count, p50, p99, max}
QJsonObject stats(const std::vector<qint64> &values);

} // namespace loadgen
