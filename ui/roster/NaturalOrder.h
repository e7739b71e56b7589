#pragma once

#include <QStringView>

namespace presence {

// Orders names as people read them: runs of ASCII digits compare as numbers (sim-2 before
// sim-10), letters without regard to case. Names equal that way fall back to a plain
// comparison, so the order is total and a sort never depends on where rows happened to be.
// Own code rather than QCollator: its numeric mode is unavailable in the C locale that
// services and containers often run in.
int naturalCompare(QStringView left, QStringView right);

inline bool naturalLess(QStringView left, QStringView right)
{
    return naturalCompare(left, right) < 0;
}

} // namespace presence
