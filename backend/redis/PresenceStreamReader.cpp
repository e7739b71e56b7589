#include "PresenceStreamReader.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcDownstream, "presence.redis.downstream")

namespace presence {

PresenceStreamReader::PresenceStreamReader(RedisConnection &reader, RedisKeys keys,
                                           QObject *parent)
    : QObject(parent)
    , m_reader(reader)
    , m_keys(std::move(keys))
{
    connect(&m_reader, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
        if (state == RedisConnection::State::Up && m_running && !m_reading)
            readNext();
    });
}

void PresenceStreamReader::start(EventId from)
{
    m_position = from;
    ++m_generation; // a read still under way was from another position
    m_running = true;
    if (!m_reading)
        readNext();
}

void PresenceStreamReader::readNext()
{
    if (!m_running || m_reader.state() != RedisConnection::State::Up)
        return;
    m_reading = true;
    const quint64 generation = m_generation;
    m_reader.command({"XREAD", "COUNT", "1000", "BLOCK", "1000", "STREAMS",
                      m_keys.presenceStream(), m_position.toByteArray()},
                     [this, generation](const RedisReply &reply) {
                         m_reading = false;
                         if (generation != m_generation) { // stopped and started anew since
                             readNext();
                             return;
                         }
                         if (reply.isError()) {
                             qCWarning(lcDownstream).noquote()
                                 << "reading the presence stream failed:" << reply.toByteArray();
                             return; // dropped connection: stateChanged(Up) resumes
                         }
                         int malformed = 0;
                         const QList<StreamEntry> entries = parseStreamRead(reply, &malformed);
                         m_junk += quint64(malformed);
                         QList<PresenceEvent> events;
                         events.reserve(entries.size()); // grown entry by entry: 6 % of a drain
                         for (const StreamEntry &entry : entries) {
                             m_position = std::max(m_position, entry.id);
                             QString whyNot;
                             if (auto event = parsePresenceEntry(entry, &whyNot)) {
                                 events.append(std::move(*event));
                             } else {
                                 ++m_junk;
                                 if (m_junk <= 10)
                                     qCWarning(lcDownstream).noquote()
                                         << "ignoring presence entry" << entry.rawId << "-" << whyNot;
                             }
                         }
                         if (!events.isEmpty())
                             Q_EMIT entriesRead(events);
                         readNext();
                     });
}

} // namespace presence
