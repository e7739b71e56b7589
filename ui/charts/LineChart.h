#pragma once

#include <QColor>
#include <QList>
#include <QWidget>

namespace presence {

// A small time-series chart drawn with QPainter (Qt Charts is not a dependency): one line over
// the last N samples, the newest on the right, with a zero-based value axis and "now"/"-Nm"
// time labels. Colours for text and grid come from the palette, so dark themes work.
class LineChart final : public QWidget {
    Q_OBJECT
public:
    explicit LineChart(const QString &title, const QColor &color, QWidget *parent = nullptr);

    // `values` oldest first, one every `sampleMs`; the x axis spans `capacity` samples.
    void setSeries(const QList<double> &values, int capacity, int sampleMs);
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    QColor m_color;
    QList<double> m_values;
    int m_capacity = 300;
    int m_sampleMs = 1000;
};

// A rounded-up axis maximum (1, 2, 5 × 10^k) so grid labels are round numbers.
double niceCeiling(double value);

} // namespace presence
