#pragma once

#include <QHash>
#include <QList>

#include <map>
#include <optional>

namespace presence {

// Keys with a deadline each; rescheduling a key replaces its deadline.
// O(log n) schedule/cancel, and takeDue() hands back expired keys in deadline order.
template <typename Key>
class DeadlineQueue {
public:
    void schedule(const Key &key, qint64 deadline)
    {
        cancel(key);
        m_index.insert(key, m_byDeadline.emplace(deadline, key));
    }

    bool cancel(const Key &key)
    {
        const auto found = m_index.constFind(key);
        if (found == m_index.cend())
            return false;
        m_byDeadline.erase(*found);
        m_index.erase(found);
        return true;
    }

    std::optional<qint64> deadlineOf(const Key &key) const
    {
        const auto found = m_index.constFind(key);
        if (found == m_index.cend())
            return std::nullopt;
        return (*found)->first;
    }

    std::optional<qint64> nextDeadline() const
    {
        if (m_byDeadline.empty())
            return std::nullopt;
        return m_byDeadline.begin()->first;
    }

    QList<Key> takeDue(qint64 now)
    {
        QList<Key> due;
        while (!m_byDeadline.empty() && m_byDeadline.begin()->first <= now) {
            due.append(m_byDeadline.begin()->second);
            m_index.remove(m_byDeadline.begin()->second);
            m_byDeadline.erase(m_byDeadline.begin());
        }
        return due;
    }

    bool contains(const Key &key) const { return m_index.contains(key); }
    qsizetype size() const { return m_index.size(); }

private:
    using Ordered = std::multimap<qint64, Key>;
    Ordered m_byDeadline;
    QHash<Key, typename Ordered::iterator> m_index;
};

} // namespace presence
