#include "ActivityHistory.h"

namespace presence {

namespace {
constexpr qsizetype latenessKept = 2000;

template<typename T>
void appendBounded(QList<T> &list, T value, qsizetype capacity)
{
    list.append(value);
    if (list.size() > capacity)
        list.remove(0, list.size() - capacity);
}
} // namespace

ActivityHistory::ActivityHistory(PresenceEngine &engine, OnlineCounter online, int samples,
                                 int sampleMs, QObject *parent)
    : QObject(parent)
    , m_countOnline(std::move(online))
    , m_capacity(samples)
{
    connect(&engine, &PresenceEngine::presenceChanged, this, [this] { ++m_transitions; });
    m_timer.setInterval(sampleMs);
    connect(&m_timer, &QTimer::timeout, this, &ActivityHistory::sample);
    m_timer.start();
}

void ActivityHistory::sample()
{
    appendBounded(m_online, double(m_countOnline()), m_capacity);
    const double seconds = double(m_timer.interval()) / 1000.0;
    appendBounded(m_rates, double(m_transitions) / seconds, m_capacity);
    m_transitions = 0;
    Q_EMIT sampled();
}

void ActivityHistory::addLateness(qint64 ms)
{
    appendBounded(m_lateness, ms, latenessKept);
    Q_EMIT latenessAdded();
}

} // namespace presence
