#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

namespace presence {

class SimulatedClientPool;

// Steady churn for load and latency checks: joins and clean leaves at given rates per second,
// spread over ten ticks a second (fractions carry over, so 0.5/s means one every two seconds).
class ChurnGenerator final : public QObject {
    Q_OBJECT
public:
    explicit ChurnGenerator(SimulatedClientPool &pool, QObject *parent = nullptr);

    void setRates(double joinsPerSecond, double leavesPerSecond);
    void setPattern(const QString &pattern) { m_pattern = pattern; }
    void start();
    void stop();
    bool isRunning() const { return m_timer.isActive(); }

Q_SIGNALS:
    void runningChanged(bool running);

private:
    void tick();

    SimulatedClientPool &m_pool;
    QString m_pattern = QStringLiteral("churn-{n}");
    double m_joins = 0;
    double m_leaves = 0;
    double m_joinCredit = 0;
    double m_leaveCredit = 0;
    QTimer m_timer;
};

} // namespace presence
