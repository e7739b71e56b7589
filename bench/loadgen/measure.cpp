#include "measure.h"

#include <QFile>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace loadgen {

qint64 realtimeUs()
{
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

qint64 monotonicUs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), -1 if unreadable.
qint64 statusKiB(qint64 pid, const char *field)
{
    if (pid <= 0)
        return -1;
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(field) && line.size() > qsizetype(std::strlen(field)) && line[qsizetype(std::strlen(field))] == ':')
            return line.mid(qsizetype(std::strlen(field)) + 1).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// Where `needle` starts in `text`, npos if absent. memmem: std::string_view::find stops at every
// '"' of a JSON line, and a 5,000 join storm is 25 million lines to scan.
size_t findIn(std::string_view text, std::string_view needle)
{
    const void *at = memmem(text.data(), text.size(), needle.data(), needle.size());
    return at ? size_t(static_cast<const char *>(at) - text.data()) : std::string_view::npos;
}

// The value of "key":"…" in a flat JSON object (ids and rooms never need escaping), empty if
// absent; `pattern` is the key written "\"key\":\"".
std::string_view jsonString(std::string_view json, std::string_view pattern)
{
    const size_t at = findIn(json, pattern);
    if (at == std::string_view::npos)
        return {};
    const size_t begin = at + pattern.size();
    const void *end = memchr(json.data() + begin, '"', json.size() - begin);
    return end ? json.substr(begin, size_t(static_cast<const char *>(end) - json.data()) - begin)
               : std::string_view();
}

qint64 percentile(std::vector<qint64> values, double p)
{
    if (values.empty())
        return -1;
    std::sort(values.begin(), values.end());
    auto rank = qsizetype(p / 100.0 * double(values.size()) + 0.999999) - 1;
    rank = std::clamp<qsizetype>(rank, 0, qsizetype(values.size()) - 1);
    return values[size_t(rank)];
}

QJsonObject stats(const std::vector<qint64> &values)
{
    return QJsonObject {{QStringLiteral("count"), qint64(values.size())},
                        {QStringLiteral("p50"), percentile(values, 50)},
                        {QStringLiteral("p99"), percentile(values, 99)},
                        {QStringLiteral("max"), percentile(values, 100)}};
}

} // namespace loadgen
