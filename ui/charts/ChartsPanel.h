#pragma once

#include <QWidget>

namespace presence {

class ActivityHistory;
class Histogram;
class LineChart;

// The three charts side by side: online clients, transitions per second, and the lateness
// of offline detection.
class ChartsPanel final : public QWidget {
    Q_OBJECT
public:
    ChartsPanel(ActivityHistory &history, QWidget *parent = nullptr);

    LineChart *onlineChart() const { return m_online; }
    LineChart *rateChart() const { return m_rate; }
    Histogram *latenessChart() const { return m_lateness; }

private:
    void updateSeries();

    ActivityHistory &m_history;
    LineChart *m_online;
    LineChart *m_rate;
    Histogram *m_lateness;
};

} // namespace presence
