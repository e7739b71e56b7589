#pragma once

#include <QList>
#include <QtGlobal>

#include <vector>

namespace presence {

// Which shards of a Redis Cluster a node's readers need (sessions by their rooms' shards,
// operators' feeds every shard), counted, and which ones nobody has needed for a while: a
// shard is read from the first reader that needs it until `lingerMs` after the last one left,
// so a client that reconnects (EventSource retries within seconds) finds it still read.
class ShardInterest final {
public:
    ShardInterest(int shards, qint64 lingerMs);

    // `shards` empty: every shard.
    void add(const QList<int> &shards);
    void remove(const QList<int> &shards, qint64 nowMs);
    bool isNeeded(int shard) const;
    // The shards read but needed by nobody for the linger by `nowMs`: each is reported once
    // (the caller stops reading it), until it is needed and left again.
    QList<int> takeIdle(qint64 nowMs);
    // Shards being read (needed, or lingering).
    bool isRead(int shard) const { return m_read.at(size_t(shard)); }
    void markRead(int shard) { m_read.at(size_t(shard)) = true; }

private:
    std::vector<int> m_readers;     // by shard
    std::vector<qint64> m_leftAtMs; // by shard: when its last reader left, -1 while needed
    std::vector<bool> m_read;       // by shard
    int m_everyShard = 0;           // readers of every shard
    qint64 m_lingerMs;
};

} // namespace presence
