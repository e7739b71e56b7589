#include "LineChart.h"

#include "AxisTicks.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace presence {

double niceCeiling(double value)
{
    if (value <= 1.0)
        return 1.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const double step : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= step * magnitude)
            return step * magnitude;
    }
    return 10.0 * magnitude;
}

LineChart::LineChart(const QString &title, const QColor &color, QWidget *parent)
    : QWidget(parent)
    , m_title(title)
    , m_color(color)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void LineChart::setSeries(const QList<double> &values, int capacity, int sampleMs)
{
    m_values = values;
    m_capacity = std::max(capacity, 2);
    m_sampleMs = std::max(sampleMs, 1);
    update();
}

QSize LineChart::minimumSizeHint() const
{
    return {fontMetrics().horizontalAdvance(m_title) + 40, fontMetrics().height() * 6};
}

QSize LineChart::sizeHint() const { return {320, 160}; }

void LineChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics metrics = fontMetrics();
    const QPalette &pal = palette();
    const QColor text = pal.color(QPalette::WindowText);
    QColor grid = text;
    grid.setAlphaF(0.18f);

    const double current = m_values.isEmpty() ? 0.0 : m_values.last();
    const double peak =
        m_values.isEmpty() ? 0.0 : *std::max_element(m_values.cbegin(), m_values.cend());
    const AxisScale scale = niceScale(peak);
    const double top = scale.top;

    // Title and the current value on one line above the plot.
    painter.setPen(text);
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    const int line = metrics.height();
    painter.drawText(QRect(0, 0, width(), line), Qt::AlignLeft | Qt::AlignVCenter, m_title);
    painter.setPen(m_color);
    painter.drawText(QRect(0, 0, width(), line), Qt::AlignRight | Qt::AlignVCenter,
                     QLocale().toString(current, 'f', current < 10 && current != std::floor(current) ? 1 : 0));
    painter.setFont(font());

    const QList<double> ticks = scale.ticks();
    int axisWidth = 0;
    for (const double tick : ticks)
        axisWidth = std::max(axisWidth, metrics.horizontalAdvance(scale.label(tick)) + 6);
    const QRectF plot(axisWidth, line + 6, width() - axisWidth - 2, height() - 2 * line - 10);
    if (plot.width() < 10 || plot.height() < 10)
        return;

    // A labelled grid line per tick; labels that would overlap the one below are left out.
    double lastLabelY = plot.bottom() + line;
    for (const double tick : ticks) {
        const double y = plot.bottom() - plot.height() * tick / top;
        painter.setPen(QPen(grid, 1));
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        if (lastLabelY - y < line && tick != top)
            continue;
        painter.setPen(text);
        painter.drawText(QRectF(0, y - line / 2.0, axisWidth - 4, line),
                         Qt::AlignRight | Qt::AlignVCenter, scale.label(tick));
        lastLabelY = y;
    }
    const int spanSeconds = m_capacity * m_sampleMs / 1000;
    const QString start = spanSeconds >= 120 ? tr("−%1 min").arg(spanSeconds / 60)
                                             : tr("−%1 s").arg(spanSeconds);
    const QRectF axis(plot.left(), plot.bottom() + 2, plot.width(), line);
    painter.drawText(axis, Qt::AlignLeft | Qt::AlignTop, start);
    painter.drawText(axis, Qt::AlignRight | Qt::AlignTop, tr("now"));
    // Time ticks (every minute over five minutes), labelled where a label fits between the ends.
    AxisScale time = niceScale(spanSeconds, 5, true);
    if (spanSeconds >= 120) { // whole minutes
        time = niceScale(spanSeconds / 60.0, 5, true);
        time.step *= 60;
        time.top *= 60;
    }
    const double leftEnd = plot.left() + metrics.horizontalAdvance(start) + 4;
    const double rightEnd = plot.right() - metrics.horizontalAdvance(tr("now")) - 4;
    for (const double ago : time.ticks()) {
        if (ago <= 0 || ago >= spanSeconds)
            continue;
        const double x = plot.right() - plot.width() * ago / spanSeconds;
        painter.setPen(QPen(grid, 1));
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        const int seconds = int(ago);
        const QString label = seconds % 60 == 0 && spanSeconds >= 120
                                  ? tr("−%1 min").arg(seconds / 60)
                                  : tr("−%1 s").arg(seconds);
        const double half = metrics.horizontalAdvance(label) / 2.0 + 2;
        if (x - half < leftEnd || x + half > rightEnd)
            continue;
        painter.setPen(text);
        painter.drawText(QRectF(x - half, axis.top(), 2 * half, line), Qt::AlignCenter, label);
    }

    if (m_values.size() < 2)
        return;
    const double step = plot.width() / double(m_capacity - 1);
    const qsizetype offset = m_capacity - m_values.size();
    QPainterPath path;
    for (qsizetype i = 0; i < m_values.size(); ++i) {
        const QPointF point(plot.left() + double(offset + i) * step,
                            plot.bottom() - plot.height() * std::min(m_values[i] / top, 1.0));
        if (i == 0)
            path.moveTo(point);
        else
            path.lineTo(point);
    }
    QPainterPath area = path;
    area.lineTo(plot.right(), plot.bottom());
    area.lineTo(plot.left() + double(offset) * step, plot.bottom());
    area.closeSubpath();
    QColor fill = m_color;
    fill.setAlphaF(0.18f);
    painter.fillPath(area, fill);
    painter.setPen(QPen(m_color, 2));
    painter.drawPath(path);
}

} // namespace presence
