#pragma once

#include <QColor>
#include <QList>
#include <QWidget>

namespace presence {

// The distribution of offline-detection lateness (OFFLINE "timeout" time minus the client's
// TTL deadline), drawn with QPainter: bars over round-width bins, and p50/p95/max in the title
// line. Lateness is what the keyspace notifications and the deadline sweep are for, so this
// is where an operator sees them work (or not).
class Histogram final : public QWidget {
    Q_OBJECT
public:
    explicit Histogram(const QString &title, const QColor &color, QWidget *parent = nullptr);

    void setValues(const QList<qint64> &valuesMs);
    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

    struct Bins {
        qint64 width = 1;
        qint64 start = 0;
        QList<int> counts;
    };
    // About `target` bins of a round width covering every value.
    static Bins bin(const QList<qint64> &values, int target = 12);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    QColor m_color;
    QList<qint64> m_values;
};

} // namespace presence
