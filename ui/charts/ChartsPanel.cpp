#include "ChartsPanel.h"

#include "ActivityHistory.h"
#include "Histogram.h"
#include "LineChart.h"
#include "StatusStyle.h"

#include <QHBoxLayout>

namespace presence {

namespace {
constexpr int chartSamples = 300; // five minutes at one sample a second
}

ChartsPanel::ChartsPanel(ActivityHistory &history, QWidget *parent)
    : QWidget(parent)
    , m_history(history)
    , m_online(new LineChart(tr("Online clients"), statusColor(PresenceStatus::Online), this))
    , m_rate(new LineChart(tr("Transitions / s"), QColor(0x3d, 0x8b, 0xd9), this))
    , m_lateness(new Histogram(tr("Offline detection lateness"),
                               statusColor(PresenceStatus::Offline, Reason::timeout), this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(16);
    layout->addWidget(m_online, 1);
    layout->addWidget(m_rate, 1);
    layout->addWidget(m_lateness, 1);
    connect(&m_history, &ActivityHistory::sampled, this, &ChartsPanel::updateSeries);
    connect(&m_history, &ActivityHistory::latenessAdded, this,
            [this] { m_lateness->setValues(m_history.lateness()); });
    updateSeries();
}

void ChartsPanel::updateSeries()
{
    m_online->setSeries(m_history.online(), chartSamples, m_history.sampleMs());
    m_rate->setSeries(m_history.transitionsPerSecond(), chartSamples, m_history.sampleMs());
}

} // namespace presence
