#include "RedisInspector.h"

#include <QPointer>

#include <memory>

namespace presence {

namespace {
void noteError(RedisInspector::Report &report, const RedisReply &reply)
{
    if (reply.isError() && report.error.isEmpty())
        report.error = QString::fromUtf8(reply.toByteArray());
}

// XINFO answers flat [name, value, name, value, …] arrays in RESP2.
RedisReply field(const RedisReply &map, QByteArrayView name)
{
    const auto &flat = map.elements();
    for (qsizetype i = 0; i + 1 < flat.size(); i += 2) {
        if (flat[i].toByteArray() == name)
            return flat[i + 1];
    }
    return {};
}
} // namespace

RedisInspector::RedisInspector(RedisConnection &commands, RedisKeys keys, QObject *parent)
    : QObject(parent)
    , m_commands(commands)
    , m_keys(std::move(keys))
{
}

void RedisInspector::refresh()
{
    if (m_busy)
        return;
    m_busy = true;
    auto report = std::make_shared<Report>();
    QPointer<RedisInspector> guard(this);
    m_commands.command({"XLEN", m_keys.heartbeatStream()}, [report](const RedisReply &reply) {
        noteError(*report, reply);
        report->heartbeatLength = reply.isInteger() ? reply.toInteger() : -1;
    });
    m_commands.command({"XLEN", m_keys.presenceStream()}, [report](const RedisReply &reply) {
        noteError(*report, reply);
        report->presenceLength = reply.isInteger() ? reply.toInteger() : -1;
    });
    const QByteArray group = m_keys.processorGroup();
    m_commands.command({"XINFO", "GROUPS", m_keys.heartbeatStream()},
                       [report, group](const RedisReply &reply) {
                           // An error here only means the stream does not exist yet.
                           for (const RedisReply &entry : reply.elements()) {
                               if (field(entry, "name").toByteArray() != group)
                                   continue;
                               report->groupConsumers = field(entry, "consumers").toInteger();
                               report->groupPending = field(entry, "pending").toInteger();
                               report->lastDeliveredId =
                                   QString::fromUtf8(field(entry, "last-delivered-id").toByteArray());
                               const RedisReply lag = field(entry, "lag");
                               report->groupLag = lag.isNil() ? -1 : lag.toInteger();
                           }
                       });
    m_commands.command({"XPENDING", m_keys.heartbeatStream(), group},
                       [guard, report](const RedisReply &reply) {
                           const RedisReply consumers = reply.elements().value(3);
                           for (const RedisReply &pair : consumers.elements()) {
                               report->pendingByConsumer.append(
                                   QStringLiteral("%1: %2")
                                       .arg(QString::fromUtf8(pair.elements().value(0).toByteArray()))
                                       .arg(pair.elements().value(1).toInteger()));
                           }
                           // Replies come in issue order: every answer above is in by now.
                           if (guard)
                               guard->scanNodes("0", report);
                       });
}

void RedisInspector::scanNodes(const QByteArray &cursor, std::shared_ptr<Report> report)
{
    const QByteArray prefix = m_keys.node({});
    QPointer<RedisInspector> guard(this);
    m_commands.command({"SCAN", cursor, "MATCH", prefix + '*', "COUNT", "1000"},
                       [guard, report, prefix](const RedisReply &reply) {
                           if (!guard)
                               return;
                           noteError(*report, reply);
                           const QByteArray next = reply.elements().value(0).toByteArray();
                           const RedisReply keys = reply.elements().value(1);
                           for (const RedisReply &key : keys.elements())
                               report->nodes.append(
                                   QString::fromUtf8(key.toByteArray().mid(prefix.size())));
                           if (reply.isError() || next.isEmpty() || next == "0")
                               guard->finish(report);
                           else
                               guard->scanNodes(next, report);
                       });
}

void RedisInspector::finish(std::shared_ptr<Report> report)
{
    report->nodes.sort();
    report->nodes.removeDuplicates(); // SCAN may return a key twice
    m_report = *report;
    m_busy = false;
    Q_EMIT updated();
}

} // namespace presence
