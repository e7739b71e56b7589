#pragma once

#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"

#include <QObject>
#include <QStringList>

namespace presence {

// Reads what the Redis panel shows, on the engine's command connection: stream lengths
// (XLEN), the processors' consumer group (XINFO GROUPS: lag, pending, consumers; XPENDING:
// pending per consumer) and the nodes alive (SCAN over presence:node:*). One refresh at a time.
class RedisInspector final : public QObject {
    Q_OBJECT
public:
    struct Report {
        qint64 heartbeatLength = -1;
        qint64 presenceLength = -1;
        qint64 groupLag = -1; // entries not yet delivered to the group (-1: unknown)
        qint64 groupPending = -1;
        qint64 groupConsumers = -1;
        QString lastDeliveredId;
        QStringList pendingByConsumer; // "node: count"
        QStringList nodes;
        QString error; // the first error reply, if any
    };

    RedisInspector(RedisConnection &commands, RedisKeys keys, QObject *parent = nullptr);

    void refresh();
    bool isBusy() const { return m_busy; }
    const Report &report() const { return m_report; }

Q_SIGNALS:
    void updated();

private:
    void scanNodes(const QByteArray &cursor, std::shared_ptr<Report> report);
    void finish(std::shared_ptr<Report> report);

    RedisConnection &m_commands;
    RedisKeys m_keys;
    Report m_report;
    bool m_busy = false;
};

} // namespace presence
