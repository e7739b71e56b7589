#include "Histogram.h"

#include "AxisTicks.h"
#include "LineChart.h"

#include <QPainter>
#include <QStringList>

#include <algorithm>

namespace presence {

namespace {
QString formatMs(qint64 ms)
{
    if (std::abs(ms) >= 10000)
        return QStringLiteral("%1 s").arg(ms / 1000);
    if (std::abs(ms) >= 1000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    return QStringLiteral("%1 ms").arg(ms);
}
} // namespace

Histogram::Histogram(const QString &title, const QColor &color, QWidget *parent)
    : QWidget(parent)
    , m_title(title)
    , m_color(color)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void Histogram::setValues(const QList<qint64> &valuesMs)
{
    m_values = valuesMs;
    update();
}

QSize Histogram::minimumSizeHint() const
{
    return {fontMetrics().horizontalAdvance(m_title) + 40, fontMetrics().height() * 6};
}

QSize Histogram::sizeHint() const { return {320, 160}; }

Histogram::Bins Histogram::bin(const QList<qint64> &values, int target)
{
    Bins bins;
    if (values.isEmpty())
        return bins;
    const auto [low, high] = std::minmax_element(values.cbegin(), values.cend());
    const qint64 start = std::min<qint64>(*low, 0);
    bins.width = qint64(niceCeiling(double(*high - start + 1) / double(target)));
    bins.start = start >= 0 ? 0 : -((-start + bins.width - 1) / bins.width) * bins.width;
    const qsizetype count = qsizetype((*high - bins.start) / bins.width + 1);
    bins.counts.fill(0, count);
    for (const qint64 value : values)
        ++bins.counts[qsizetype((value - bins.start) / bins.width)];
    return bins;
}

void Histogram::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    const QFontMetrics metrics = fontMetrics();
    const QColor text = palette().color(QPalette::WindowText);
    QColor grid = text;
    grid.setAlphaF(0.18f);
    const int line = metrics.height();

    QList<qint64> sorted = m_values;
    std::sort(sorted.begin(), sorted.end());
    auto percentile = [&sorted](double p) {
        return sorted[qsizetype(double(sorted.size() - 1) * p)];
    };
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(text);
    painter.drawText(QRect(0, 0, width(), line), Qt::AlignLeft | Qt::AlignVCenter, m_title);
    painter.setFont(font());
    QStringList summary{tr("no timeouts yet")};
    if (!sorted.isEmpty()) {
        const QString counts = tr("n=%1 · p50 %2").arg(sorted.size()).arg(formatMs(percentile(0.5)));
        const QString tail = tr("p95 %1 · max %2").arg(formatMs(percentile(0.95)), formatMs(sorted.last()));
        const QString oneLine = counts + QStringLiteral(" · ") + tail;
        // Two lines rather than an elided max in a narrow panel: the max is what matters most.
        summary = metrics.horizontalAdvance(oneLine) <= width() ? QStringList{oneLine}
                                                                : QStringList{counts, tail};
    }
    painter.setPen(m_color);
    for (qsizetype i = 0; i < summary.size(); ++i)
        painter.drawText(QRect(0, line * int(i + 1), width(), line), Qt::AlignLeft | Qt::AlignVCenter,
                         metrics.elidedText(summary[i], Qt::ElideRight, width()));
    const int header = line * int(summary.size() + 1);

    const Bins bins = bin(m_values);
    const int peak =
        bins.counts.isEmpty() ? 1 : *std::max_element(bins.counts.cbegin(), bins.counts.cend());
    const AxisScale scale = niceScale(peak, 4, true);
    const QList<double> ticks = scale.ticks();
    int axisWidth = 0;
    for (const double tick : ticks)
        axisWidth = std::max(axisWidth, metrics.horizontalAdvance(scale.label(tick)) + 6);
    const QRectF plot(axisWidth, header + 6, width() - axisWidth - 2,
                      height() - header - line - 10);
    if (plot.width() < 10 || plot.height() < 10)
        return;
    double lastLabelY = plot.bottom() + line;
    for (const double tick : ticks) {
        const double y = plot.bottom() - plot.height() * tick / scale.top;
        painter.setPen(QPen(grid, 1));
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        if (lastLabelY - y < line && tick != scale.top)
            continue;
        painter.setPen(text);
        painter.drawText(QRectF(0, y - line / 2.0, axisWidth - 4, line),
                         Qt::AlignRight | Qt::AlignVCenter, scale.label(tick));
        lastLabelY = y;
    }
    if (bins.counts.isEmpty())
        return;

    const double barWidth = plot.width() / double(bins.counts.size());
    QColor fill = m_color;
    fill.setAlphaF(0.75f);
    for (qsizetype i = 0; i < bins.counts.size(); ++i) {
        const double h = plot.height() * bins.counts[i] / scale.top;
        const QRectF bar(plot.left() + double(i) * barWidth + 1, plot.bottom() - h,
                         std::max(barWidth - 2, 1.0), h);
        painter.fillRect(bar, fill);
    }
    const QRectF axis(plot.left(), plot.bottom() + 2, plot.width(), line);
    painter.drawText(axis, Qt::AlignLeft | Qt::AlignTop, formatMs(bins.start));
    painter.drawText(axis, Qt::AlignRight | Qt::AlignTop,
                     formatMs(bins.start + bins.width * bins.counts.size()));
    // The caption only where it fits between the two end labels.
    const QString caption = tr("after the deadline");
    if (metrics.horizontalAdvance(caption) + 2 * metrics.horizontalAdvance(QStringLiteral("00.0 s  ")) < axis.width())
        painter.drawText(axis, Qt::AlignHCenter | Qt::AlignTop, caption);
}

} // namespace presence
