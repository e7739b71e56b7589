#include "HeartbeatProcessor.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>
#include <algorithm>

Q_LOGGING_CATEGORY(lcHeartbeats, "presence.redis.heartbeats")

namespace presence {

HeartbeatProcessor::HeartbeatProcessor(RedisConnection &reader, RedisConnection &commands,
                                       Config config, QObject *parent)
    : QObject(parent)
    , m_reader(reader)
    , m_commands(commands)
    , m_config(std::move(config))
{
    connect(&m_claimTimer, &QTimer::timeout, this, &HeartbeatProcessor::claimPending);
    connect(&m_reader, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
        if (state == RedisConnection::State::Up && m_running && !m_reading)
            readNext();
    });
}

void HeartbeatProcessor::start()
{
    m_running = true;
    m_claimTimer.start(m_config.claimIdleMs);
    createGroup();
}

void HeartbeatProcessor::stop()
{
    m_running = false;
    m_claimTimer.stop();
}

void HeartbeatProcessor::createGroup()
{
    // "$": a new group starts at the end; history was never ours to process. MKSTREAM so the
    // group exists before the first heartbeat does.
    m_commands.command({"XGROUP", "CREATE", m_config.keys.heartbeatStream(),
                        m_config.keys.processorGroup(), "$", "MKSTREAM"},
                       [this](const RedisReply &reply) {
                           if (reply.isError() && !reply.toByteArray().startsWith("BUSYGROUP"))
                               qCWarning(lcHeartbeats).noquote()
                                   << "cannot create the consumer group:" << reply.toByteArray();
                           if (m_running && !m_reading)
                               readNext();
                       });
}

void HeartbeatProcessor::readNext()
{
    if (!m_running || m_reader.state() != RedisConnection::State::Up)
        return;
    m_reading = true;
    m_reader.command({"XREADGROUP", "GROUP", m_config.keys.processorGroup(), m_config.consumer,
                      "COUNT", QByteArray::number(m_config.batch), "BLOCK",
                      QByteArray::number(m_config.blockMs), "STREAMS",
                      m_config.keys.heartbeatStream(), ">"},
                     [this](const RedisReply &reply) {
                         m_reading = false;
                         if (reply.isError()) {
                             // NOGROUP: Redis lost the stream (restart without persistence).
                             if (reply.toByteArray().startsWith("NOGROUP"))
                                 createGroup();
                             // Otherwise the connection dropped; stateChanged(Up) resumes.
                             return;
                         }
                         process(parseStreamRead(reply));
                         readNext();
                     });
}

void HeartbeatProcessor::claimPending()
{
    if (!m_running || m_commands.state() != RedisConnection::State::Up)
        return;
    if (m_config.pruneEveryClaims > 0 && ++m_claimRounds % m_config.pruneEveryClaims == 0)
        pruneDeadConsumers();
    readBacklog();
    m_commands.command(
        {"XAUTOCLAIM", m_config.keys.heartbeatStream(), m_config.keys.processorGroup(),
         m_config.consumer, QByteArray::number(m_config.claimIdleMs), m_claimCursor, "COUNT",
         QByteArray::number(m_config.batch)},
        [this](const RedisReply &reply) {
            // [next cursor, [entries…], [deleted ids…]]
            if (reply.isError() || reply.elements().size() < 2)
                return;
            m_claimCursor = reply.elements()[0].toByteArray();
            if (m_claimCursor.isEmpty())
                m_claimCursor = "0-0";
            const QList<StreamEntry> entries = parseStreamEntries(reply.elements()[1]);
            if (entries.isEmpty())
                return;
            m_stats.claimed += quint64(entries.size());
            qCInfo(lcHeartbeats) << "claimed" << entries.size() << "pending heartbeats";
            process(entries);
        });
}

// A dead node's consumer stays in the group forever otherwise (XINFO, the dashboard and the
// group's bookkeeping keep listing it). It goes once the living claimed its pending entries.
void HeartbeatProcessor::pruneDeadConsumers()
{
    m_commands.command({"FCALL", "presence_prune_consumers", "0", m_config.keys.prefix,
                        QByteArray::number(m_config.consumerIdleMs)},
                       [this](const RedisReply &reply) {
                           if (reply.isError()) {
                               qCWarning(lcHeartbeats).noquote()
                                   << "presence_prune_consumers failed:" << reply.toByteArray();
                               return;
                           }
                           if (reply.toInteger() > 0) {
                               m_stats.consumersPruned += quint64(reply.toInteger());
                               qCInfo(lcHeartbeats)
                                   << reply.toInteger() << "consumers of dead nodes left the group";
                           }
                       });
}

void HeartbeatProcessor::readBacklog()
{
    const QByteArray stream = m_config.keys.heartbeatStream();
    m_commands.command({"XINFO", "GROUPS", stream}, [this, stream](const RedisReply &reply) {
        if (reply.isError())
            return; // no stream yet (or not ours to read): keep the last figures
        for (const RedisReply &group : reply.elements()) {
            QHash<QByteArray, RedisReply> fields;
            const QList<RedisReply> &flat = group.elements();
            for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
                fields.insert(flat[i].toByteArray(), flat[i + 1]);
            if (fields.value("name").toByteArray() != m_config.keys.processorGroup())
                continue;
            ProcessorBacklog backlog;
            backlog.known = true;
            // Nil when Redis cannot tell (entries trimmed before a processor read them).
            const RedisReply lag = fields.value("lag");
            backlog.lag = lag.type() == RedisReply::Type::Integer ? lag.toInteger() : -1;
            backlog.pending = fields.value("pending").toInteger();
            backlog.consumers = fields.value("consumers").toInteger();
            const QByteArray delivered = fields.value("last-delivered-id").toByteArray();
            m_backlog = backlog;
            if (backlog.lag == 0 && backlog.pending == 0)
                return;
            // How old the first entry no processor has seen yet is: the figure to hold against
            // the TTL.
            m_commands.command(
                {"XRANGE", stream, "(" + delivered, "+", "COUNT", "1"},
                [this](const RedisReply &next) {
                    const QList<StreamEntry> entries = parseStreamEntries(next);
                    if (entries.isEmpty())
                        return;
                    m_backlog.behindMs = std::max<qint64>(
                        QDateTime::currentMSecsSinceEpoch() - qint64(entries[0].id.ms), 0);
                });
            return;
        }
    });
}

void HeartbeatProcessor::process(const QList<StreamEntry> &entries)
{
    if (entries.isEmpty())
        return;
    QList<QByteArray> call{"FCALL",
                           "presence_heartbeats",
                           "0",
                           m_config.keys.prefix,
                           m_config.presenceMaxLen,
                           m_config.offlineKeep,
                           QByteArray::number(m_config.ttlMs)};
    QList<QByteArray> ack{"XACK", m_config.keys.heartbeatStream(), m_config.keys.processorGroup()};
    call.reserve(call.size() + entries.size() * 5);
    ack.reserve(ack.size() + entries.size());
    int valid = 0;
    for (const StreamEntry &entry : entries) {
        ack.append(entry.rawId);
        QString whyNot;
        const auto heartbeat = parseHeartbeat(entry, &whyNot);
        if (!heartbeat) {
            ++m_stats.junk;
            // Logged at debug level past the first few: junk can arrive by the million.
            if (m_stats.junk <= 10)
                qCWarning(lcHeartbeats).noquote()
                    << "ignoring heartbeat entry" << entry.rawId << "-" << whyNot;
            Q_EMIT junkEntry(QString::fromLatin1(entry.rawId), whyNot);
            continue;
        }
        call.append(RoomMember{heartbeat->room, heartbeat->client}.storeKey().toUtf8());
        call.append(QByteArray::number(heartbeat->atMs));
        call.append(heartbeat->node.isEmpty() ? QByteArrayLiteral("-") : heartbeat->node);
        call.append(QByteArray::number(heartbeat->ttlMs)); // 0: the function uses ours
        call.append(QByteArray::number(heartbeat->connections));
        ++valid;
    }
    const qsizetype count = entries.size();
    auto acknowledge = [this, ack] { m_commands.command(ack); };
    if (valid == 0) {
        acknowledge();
        return;
    }
    m_commands.command(call, [this, acknowledge, count](const RedisReply &reply) {
        if (reply.isError()) {
            // Not acknowledged: the entries stay pending and are claimed again.
            ++m_stats.failedBatches;
            qCWarning(lcHeartbeats).noquote()
                << "presence_heartbeats failed:" << reply.toByteArray();
            return;
        }
        m_stats.processed += quint64(count);
        m_stats.transitions += quint64(reply.toInteger());
        acknowledge();
    });
}

} // namespace presence
