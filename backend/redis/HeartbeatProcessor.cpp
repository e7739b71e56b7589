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

QByteArray HeartbeatProcessor::readCount() const
{
    return QByteArray::number(std::max(m_config.batch / m_heartbeatsPerEntry, 1));
}

void HeartbeatProcessor::readNext()
{
    if (!m_running || m_reader.state() != RedisConnection::State::Up)
        return;
    m_reading = true;
    // `batch` heartbeats a read: as many entries when they are the seed's one-client ones,
    // fewer when they are our nodes' (many members each), going by the last batch.
    const QByteArray count = readCount();
    m_reader.command({"XREADGROUP", "GROUP", m_config.keys.processorGroup(), m_config.consumer,
                      "COUNT", count, "BLOCK",
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
                         // Reading runs ahead of the function calls by at most `window` batches:
                         // unbounded, a cheap read of many-member entries queued the whole
                         // stream as calls whose last replies came past the reply timeout.
                         if (m_inFlight < m_config.window)
                             readNext();
                         else
                             m_readHeld = true;
                     });
    m_reader.flush();
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
         readCount()},
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
    m_commands.command(m_config.keys.functionCall("presence_prune_consumers")
                           << QByteArray::number(m_config.consumerIdleMs),
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
    QList<QByteArray> ack{"XACK", m_config.keys.heartbeatStream(), m_config.keys.processorGroup()};
    ack.reserve(ack.size() + entries.size());
    // presence_heartbeat_groups calls of at most `batch` heartbeats each (a bigger call holds
    // Redis longer for everyone else); the entries are acknowledged once every call succeeded.
    QList<QList<QByteArray>> calls;
    QList<QByteArray> call;
    qsizetype inCall = 0;
    // Consecutive entries with the same time, node and TTL go as one group: the seed's
    // one-client entries come by the dozen per millisecond in a backlog, and a group of one
    // each cost Redis four more arguments and a pass of the function's loop per heartbeat.
    // Same heartbeats, same meaning (the function gives every member its group's time).
    qsizetype countAt = -1; // where the open group's member count goes in `call`
    qsizetype groupSize = 0;
    qint64 groupAt = 0, groupTtl = 0;
    QByteArray groupNode;
    const auto closeGroup = [&] {
        if (countAt >= 0)
            call[countAt] = QByteArray::number(groupSize);
        countAt = -1;
    };
    const auto open = [&] {
        call = m_config.keys.functionCall("presence_heartbeat_groups");
        call << m_config.presenceMaxLen << m_config.offlineKeep << QByteArray::number(m_config.ttlMs)
             << (m_aliveKeys ? QByteArrayLiteral("1") : QByteArrayLiteral("0"));
        inCall = 0;
        countAt = -1;
        call.reserve(call.size() + 2 * m_config.batch + 64);
    };
    open();
    quint64 heartbeats = 0;
    for (const StreamEntry &entry : entries) {
        ack.append(entry.rawId);
        QString whyNot;
        QStringList skipped;
        const auto group = parseHeartbeatGroup(entry, &whyNot, &skipped);
        if (!skipped.isEmpty()) {
            m_stats.skippedMembers += quint64(skipped.size());
            if (++m_skipReports <= 10)
                qCWarning(lcHeartbeats).noquote()
                    << "heartbeat entry" << entry.rawId << "- left out" << skipped.size()
                    << "invalid members, the others count:" << skipped.mid(0, 3).join(u"; ");
        }
        if (!group) {
            ++m_stats.junk;
            // Logged at debug level past the first few: junk can arrive by the million.
            if (m_stats.junk <= 10)
                qCWarning(lcHeartbeats).noquote()
                    << "ignoring heartbeat entry" << entry.rawId << "-" << whyNot;
            Q_EMIT junkEntry(QString::fromLatin1(entry.rawId), whyNot);
            continue;
        }
        const QByteArray node = group->node.isEmpty() ? QByteArrayLiteral("-") : group->node;
        for (qsizetype done = 0; done < group->members.size();) {
            if (inCall >= m_config.batch) {
                closeGroup();
                calls.append(std::move(call));
                open();
            }
            const qsizetype n = std::min<qsizetype>(group->members.size() - done,
                                                    m_config.batch - inCall);
            if (countAt >= 0 && group->atMs == groupAt && group->ttlMs == groupTtl &&
                node == groupNode) {
                groupSize += n;
            } else {
                closeGroup();
                // ttl 0: the function uses ours.
                call << QByteArray::number(group->atMs) << node << QByteArray::number(group->ttlMs);
                countAt = call.size();
                call << QByteArray();
                groupSize = n;
                groupAt = group->atMs;
                groupTtl = group->ttlMs;
                groupNode = node;
            }
            for (qsizetype i = done; i < done + n; ++i) {
                const qint64 connections = group->members[i].connections;
                call << group->members[i].name
                     << (connections == 0 ? QByteArrayLiteral("0")
                                          : QByteArray::number(connections));
            }
            inCall += n;
            done += n;
        }
        heartbeats += quint64(group->members.size());
    }
    closeGroup();
    if (inCall > 0)
        calls.append(std::move(call));
    m_heartbeatsPerEntry = std::max(int(heartbeats / quint64(entries.size())), 1);
    if (calls.isEmpty()) {
        m_commands.command(ack);
        return;
    }
    ++m_inFlight;
    struct Batch {
        QList<QByteArray> ack;
        qsizetype waiting = 0;
        bool failed = false;
        quint64 heartbeats = 0;
    };
    auto batch = std::make_shared<Batch>(Batch{std::move(ack), calls.size(), false, heartbeats});
    for (const QList<QByteArray> &each : std::as_const(calls)) {
        m_commands.command(each, [this, batch](const RedisReply &reply) {
            if (reply.isError()) {
                // Not acknowledged: the entries stay pending and are claimed again.
                if (!batch->failed)
                    ++m_stats.failedBatches;
                batch->failed = true;
                qCWarning(lcHeartbeats).noquote()
                    << "presence_heartbeat_groups failed:" << reply.toByteArray();
            } else {
                m_stats.transitions += quint64(reply.toInteger());
            }
            if (--batch->waiting > 0)
                return;
            if (!batch->failed) {
                m_stats.processed += batch->heartbeats;
                m_commands.command(batch->ack);
            }
            if (--m_inFlight < m_config.window && std::exchange(m_readHeld, false) && !m_reading)
                readNext();
        });
    }
    // Redis starts on the calls while this node goes on with what else the loop pass holds
    // (the next batch's read among it): queued until the pass ended, Redis waited for the node
    // and the node for Redis, a third of a drain's time.
    m_commands.flush();
}

} // namespace presence
