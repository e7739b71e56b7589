#pragma once

#include "engine/PresenceEngine.h"

#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>

namespace presence {

// What the charts plot, sampled once per `sampleMs`: how many clients are online and how many
// transitions happened in that interval (the last `samples` of each), plus the latest offline
// detection latenesses (how long after its TTL deadline a client was declared timed out).
class ActivityHistory final : public QObject {
    Q_OBJECT
public:
    using OnlineCounter = std::function<int()>;

    ActivityHistory(PresenceEngine &engine, OnlineCounter online, int samples = 300,
                    int sampleMs = 1000, QObject *parent = nullptr);

    const QList<double> &online() const { return m_online; }
    const QList<double> &transitionsPerSecond() const { return m_rates; }
    const QList<qint64> &lateness() const { return m_lateness; }
    int sampleMs() const { return m_timer.interval(); }

    void addLateness(qint64 ms);
    void sample();

Q_SIGNALS:
    void sampled();
    void latenessAdded();

private:
    OnlineCounter m_countOnline;
    int m_capacity;
    QList<double> m_online;
    QList<double> m_rates;
    QList<qint64> m_lateness;
    int m_transitions = 0;
    QTimer m_timer;
};

} // namespace presence
