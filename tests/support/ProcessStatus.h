#pragma once

#include <QByteArray>
#include <QFile>

namespace presence::test {

// A field of this process's /proc/self/status in KiB ("VmRSS", "VmHWM"), -1 if unreadable.
inline qint64 ownStatusKiB(QByteArrayView field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(field) && line.size() > field.size() && line[field.size()] == ':')
            return line.mid(field.size() + 1).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

} // namespace presence::test
