#pragma once

#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"
#include "redis/StreamEntries.h"

#include <QObject>

namespace presence {

// The presence downstream: follows the `presence` stream from a given position (where the node
// started, not the beginning: the seed replayed all history on every restart) and hands on
// every entry, whoever wrote it. Junk entries are skipped and counted, never fatal.
class PresenceStreamReader final : public QObject {
    Q_OBJECT
public:
    // `reader` blocks in XREAD and must not be shared.
    PresenceStreamReader(RedisConnection &reader, RedisKeys keys, QObject *parent = nullptr);

    // Follows from `from`, whatever it followed before (entries of a read still under way
    // are dropped).
    void start(EventId from);
    // No read after the one under way (its entries are handed on; a BLOCK lasts up to 1 s).
    void stop() { m_running = false; }
    EventId position() const { return m_position; }
    quint64 junkEntries() const { return m_junk; }

Q_SIGNALS:
    void entriesRead(const QList<presence::PresenceEvent> &events);

private:
    void readNext();

    RedisConnection &m_reader;
    RedisKeys m_keys;
    EventId m_position;
    quint64 m_junk = 0;
    quint64 m_generation = 0; // start()s so far
    bool m_running = false;
    bool m_reading = false;
};

} // namespace presence
