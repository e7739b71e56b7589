#include "ChurnGenerator.h"

#include "SimulatedClientPool.h"

#include <cmath>

namespace presence {

namespace {
constexpr int ticksPerSecond = 10;
}

ChurnGenerator::ChurnGenerator(SimulatedClientPool &pool, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
{
    m_timer.setInterval(1000 / ticksPerSecond);
    connect(&m_timer, &QTimer::timeout, this, &ChurnGenerator::tick);
}

void ChurnGenerator::setRates(double joinsPerSecond, double leavesPerSecond)
{
    m_joins = std::max(joinsPerSecond, 0.0);
    m_leaves = std::max(leavesPerSecond, 0.0);
}

void ChurnGenerator::start()
{
    if (m_timer.isActive())
        return;
    m_joinCredit = m_leaveCredit = 0;
    m_timer.start();
    Q_EMIT runningChanged(true);
}

void ChurnGenerator::stop()
{
    if (!m_timer.isActive())
        return;
    m_timer.stop();
    Q_EMIT runningChanged(false);
}

void ChurnGenerator::tick()
{
    m_joinCredit += m_joins / ticksPerSecond;
    m_leaveCredit += m_leaves / ticksPerSecond;
    const int joins = int(std::floor(m_joinCredit));
    const int leaves = int(std::floor(m_leaveCredit));
    m_joinCredit -= joins;
    m_leaveCredit -= leaves;
    if (joins > 0)
        m_pool.spawn(joins, m_pattern);
    const int active = m_pool.activeCount();
    if (leaves > 0 && active > 0)
        m_pool.applyToShare(SimulatedClientPool::Action::Leave,
                            double(std::min(leaves, active)) / double(active));
}

} // namespace presence
