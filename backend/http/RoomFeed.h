#pragma once

#include "model/ClientId.h"
#include "model/PresenceEvent.h"

#include <QByteArray>
#include <QHash>
#include <deque>
#include <map>

namespace presence {

// The live events of one room, each formatted once, for every session of that room: a session
// holds a cursor into the feed instead of a copy of every frame, and takes what follows its
// cursor at a flush or as its socket drains. A join storm of N clients is N² frames written;
// held per session that was N² bytes in this process for the readers that fell behind
// (2.8 GiB at N = 5,000), held here it is N frames however many sessions are behind.
//
// Presence is state, not a log: a member's change that a later change of the same member
// supersedes is skipped by a session more than `keepTransitionsBytes` behind the end (it gets
// the latest instead, in id order, so Last-Event-ID resume stays exact), and dropped from the
// feed once no cursor within that distance can still want it. Closer to the end every
// transition is kept. So the feed is bounded by the room's members, not by its event count.
//
// An entry goes once every cursor passed it; nothing is stored while no cursor is attached.
class RoomFeed final {
public:
    struct Entry {
        quint64 seq = 0;
        EventId id;
        ClientId client;
        size_t clientHash = 0;  // qHash(client)
        QByteArray frame;       // shared with every session the frame went to directly
        qint64 bytesBefore = 0; // bytes appended to the feed before this entry
        bool correction = false;
        bool superseded = false; // a later entry of the same client follows
    };
    // Where a session stands: the last entry it took (or skipped), and the feed's byte count
    // through it.
    struct Cursor {
        quint64 seq = 0;
        qint64 bytesThrough = 0;
    };

    explicit RoomFeed(qint64 keepTransitionsBytes)
        : m_keepTransitionsBytes(keepTransitionsBytes)
    {
    }

    void append(const PresenceEvent &event, const QByteArray &frame);

    Cursor end() const { return Cursor{m_lastSeq, m_totalBytes}; }
    // A cursor at the end; every attached cursor must be detached (or moved) by its owner.
    Cursor attach();
    void detach(const Cursor &cursor);
    // Moves an attached cursor forward (a session commits what it took, once per batch).
    void move(Cursor &cursor, const Cursor &to);

    // The first entry after `cursor` that a reader at that position should see (superseded
    // ones far from the end skipped), or nullptr at the end. `*skippedThrough` is where the
    // cursor stands once it takes or skips that entry.
    const Entry *next(const Cursor &cursor, Cursor *skippedThrough) const;
    // What a reader at `cursor` has not been given yet, counting every frame (superseded
    // ones too): the slow-reader limits measure this, as they measured the bytes queued
    // before there was a feed.
    qint64 bytesAfter(const Cursor &cursor) const { return m_totalBytes - cursor.bytesThrough; }

    qsizetype storedEntries() const { return qsizetype(m_entries.size()); }
    qsizetype attachedCursors() const { return m_attachedCursors; }

private:
    std::deque<Entry>::const_iterator after(quint64 seq) const;
    // Takes one cursor off `seq`; whether that emptied the oldest seq any cursor stood at.
    bool release(quint64 seq);
    void trimFront();
    void compact();

    qint64 m_keepTransitionsBytes;
    std::deque<Entry> m_entries;       // by seq
    QHash<ClientId, quint64> m_latest; // each stored client's newest entry
    // How many cursors stand at each seq: a fan-out moves every cursor of the room from one
    // seq to the next, two map nodes for the whole room rather than one per session.
    std::map<quint64, qsizetype> m_cursors;
    qsizetype m_attachedCursors = 0;
    quint64 m_lastSeq = 0;
    qint64 m_totalBytes = 0;
    qsizetype m_superseded = 0;
    qsizetype m_nextCompaction = 256;
};

} // namespace presence
