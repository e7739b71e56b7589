#include "AxisTicks.h"

#include <QLocale>
#include <algorithm>
#include <cmath>

namespace presence {

QList<double> AxisScale::ticks() const
{
    QList<double> values;
    const int count = int(std::lround(top / step));
    for (int i = 0; i <= count; ++i)
        values.append(step * i);
    return values;
}

QString AxisScale::label(double value) const
{
    const int decimals = step >= 1.0 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    return QLocale().toString(value, 'f', decimals);
}

AxisScale niceScale(double peak, int maxTicks, bool integers)
{
    AxisScale scale;
    if (!(peak > 0.0))
        return scale;
    const double raw = peak / double(std::max(maxTicks, 1));
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    scale.step = 10.0 * magnitude;
    for (const double multiple : {1.0, 2.0, 5.0}) {
        if (raw <= multiple * magnitude * (1.0 + 1e-9)) {
            scale.step = multiple * magnitude;
            break;
        }
    }
    if (integers)
        scale.step = std::max(scale.step, 1.0);
    scale.top = std::max(1.0, std::ceil(peak / scale.step - 1e-9)) * scale.step;
    return scale;
}

} // namespace presence
