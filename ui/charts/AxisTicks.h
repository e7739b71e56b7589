#pragma once

#include <QList>
#include <QString>

namespace presence {

// A value axis with round ticks between 0 and the top (0 · 50 · 100 · 150 for a peak of 146),
// so a reader can tell what a point in the middle of a chart is worth.
struct AxisScale {
    double step = 1.0; // 1, 2 or 5 × 10^k
    double top = 1.0;  // the first multiple of step at or above the peak (at least one step)

    // 0, step, 2·step, …, top.
    QList<double> ticks() const;
    // A tick's label with as many decimals as the step needs ("0.5", "150").
    QString label(double value) const;
};

// At most about `maxTicks` steps up to `peak` (≤ 0: the axis 0…1); `integers` for counts,
// whose steps are never fractional.
AxisScale niceScale(double peak, int maxTicks = 4, bool integers = false);

} // namespace presence
