#include "ShardInterest.h"

#include <algorithm>

namespace presence {

ShardInterest::ShardInterest(int shards, qint64 lingerMs)
    : m_readers(size_t(shards), 0)
    , m_leftAtMs(size_t(shards), -1)
    , m_read(size_t(shards), false)
    , m_lingerMs(lingerMs)
{
}

void ShardInterest::add(const QList<int> &shards)
{
    if (shards.isEmpty()) {
        ++m_everyShard;
        std::fill(m_leftAtMs.begin(), m_leftAtMs.end(), -1);
    }
    for (const int shard : shards) {
        ++m_readers.at(size_t(shard));
        m_leftAtMs.at(size_t(shard)) = -1;
    }
}

void ShardInterest::remove(const QList<int> &shards, qint64 nowMs)
{
    if (shards.isEmpty() && m_everyShard > 0)
        --m_everyShard;
    for (const int shard : shards) {
        int &readers = m_readers.at(size_t(shard));
        if (readers > 0)
            --readers;
    }
    for (size_t shard = 0; shard < m_readers.size(); ++shard) {
        if (!isNeeded(int(shard)) && m_read[shard] && m_leftAtMs[shard] < 0)
            m_leftAtMs[shard] = nowMs;
    }
}

bool ShardInterest::isNeeded(int shard) const
{
    return m_everyShard > 0 || m_readers.at(size_t(shard)) > 0;
}

QList<int> ShardInterest::takeIdle(qint64 nowMs)
{
    QList<int> idle;
    for (size_t shard = 0; shard < m_readers.size(); ++shard) {
        if (isNeeded(int(shard)))
            continue;
        if (m_read[shard] && m_leftAtMs[shard] >= 0 && nowMs - m_leftAtMs[shard] >= m_lingerMs) {
            idle.append(int(shard));
            m_read[shard] = false;
            m_leftAtMs[shard] = -1;
        }
    }
    return idle;
}

} // namespace presence
