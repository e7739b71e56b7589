#include "RoomFeed.h"

#include <algorithm>

namespace presence {

namespace {
// Superseded entries are swept out once there are this many (and again each time their count
// doubles): often enough to bound the feed, rarely enough to cost O(1) per append.
constexpr qsizetype firstCompaction = 256;
} // namespace

void RoomFeed::append(const PresenceEvent &event, const QByteArray &frame)
{
    const quint64 seq = ++m_lastSeq;
    const qint64 before = m_totalBytes;
    m_totalBytes += frame.size();
    if (m_cursors.empty())
        return; // every session of the room took it directly
    const auto latest = m_latest.find(event.client);
    if (latest != m_latest.end()) {
        const auto previous =
            std::lower_bound(m_entries.begin(), m_entries.end(), *latest,
                             [](const Entry &entry, quint64 wanted) { return entry.seq < wanted; });
        if (previous != m_entries.end() && previous->seq == *latest && !previous->superseded) {
            previous->superseded = true;
            ++m_superseded;
        }
        *latest = seq;
    } else {
        m_latest.insert(event.client, seq);
    }
    m_entries.push_back(Entry{seq, event.id, event.client, qHash(event.client), frame, before,
                              event.correction, false});
    if (m_superseded >= m_nextCompaction) {
        compact();
        m_nextCompaction = std::max(firstCompaction, 2 * m_superseded);
    }
}

RoomFeed::Cursor RoomFeed::attach()
{
    ++m_cursors[m_lastSeq];
    ++m_attachedCursors;
    return Cursor{m_lastSeq, m_totalBytes};
}

bool RoomFeed::release(quint64 seq)
{
    const auto found = m_cursors.find(seq);
    if (found == m_cursors.end())
        return false;
    --m_attachedCursors;
    const bool wasOldest = found == m_cursors.begin();
    if (--found->second > 0)
        return false;
    m_cursors.erase(found);
    return wasOldest;
}

void RoomFeed::detach(const Cursor &cursor)
{
    release(cursor.seq);
    trimFront();
}

void RoomFeed::move(Cursor &cursor, const Cursor &to)
{
    if (to.seq == cursor.seq)
        return;
    const bool oldestGone = release(cursor.seq);
    ++m_cursors[to.seq];
    ++m_attachedCursors;
    cursor = to;
    if (oldestGone)
        trimFront();
}

std::deque<RoomFeed::Entry>::const_iterator RoomFeed::after(quint64 seq) const
{
    // Seqs are consecutive until a compaction took superseded entries out: try that first.
    if (!m_entries.empty() && seq >= m_entries.front().seq) {
        const quint64 guess = seq + 1 - m_entries.front().seq;
        if (guess >= m_entries.size())
            return m_entries.cend();
        if (m_entries[size_t(guess)].seq == seq + 1)
            return m_entries.cbegin() + qsizetype(guess);
    }
    return std::upper_bound(m_entries.cbegin(), m_entries.cend(), seq,
                            [](quint64 wanted, const Entry &entry) { return wanted < entry.seq; });
}

const RoomFeed::Entry *RoomFeed::next(const Cursor &cursor, Cursor *skippedThrough) const
{
    for (auto it = after(cursor.seq); it != m_entries.cend(); ++it) {
        if (it->superseded && m_totalBytes - it->bytesBefore > m_keepTransitionsBytes)
            continue; // the reader is far behind: the member's latest change follows
        *skippedThrough = Cursor{it->seq, it->bytesBefore + it->frame.size()};
        return &*it;
    }
    *skippedThrough = Cursor{m_lastSeq, m_totalBytes};
    return nullptr;
}

void RoomFeed::trimFront()
{
    if (m_cursors.empty()) {
        m_entries.clear();
        m_latest.clear();
        m_superseded = 0;
        return;
    }
    const quint64 oldest = m_cursors.begin()->first;
    while (!m_entries.empty() && m_entries.front().seq <= oldest) {
        const Entry &front = m_entries.front();
        if (front.superseded) {
            --m_superseded;
        } else {
            const auto latest = m_latest.find(front.client);
            if (latest != m_latest.end() && *latest == front.seq)
                m_latest.erase(latest);
        }
        m_entries.pop_front();
    }
}

void RoomFeed::compact()
{
    // Far from the end a superseded entry is skipped by every reader (next()), and the
    // distance only grows: it can go.
    const qsizetype removed = std::erase_if(m_entries, [this](const Entry &entry) {
        return entry.superseded && m_totalBytes - entry.bytesBefore > m_keepTransitionsBytes;
    });
    m_superseded -= removed;
}

} // namespace presence
