#pragma once

#include <QLocale>
#include <QString>

namespace presence {

// A figure as the Redis panel shows it: digits grouped the user's way, a dash when unknown
// (the engine's negative "not known" values).
inline QString figureText(qint64 value)
{
    return value < 0 ? QStringLiteral("—") : QLocale().toString(value);
}

} // namespace presence
