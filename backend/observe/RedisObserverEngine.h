#pragma once

#include "observe/ObserverEngine.h"
#include "redis/PresenceStreamReader.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"

namespace presence {

// Watches a deployment through its Redis without taking part: it reads the shared roster and
// follows the `presence` stream with a plain XREAD (no consumer group), and sends nothing
// else. No node key, no consumer, no function library loaded, no CONFIG SET, no heartbeat:
// it works with a Redis user allowed only read commands (README, "Observer").
//
// Two connections, named presence-observer:<role>:<id> in CLIENT LIST: commands (the roster,
// the stream position) and the blocking presence read.
class RedisObserverEngine final : public ObserverEngine {
    Q_OBJECT
public:
    struct Config {
        RedisKeys keys;
        QString observerId;    // shown in the connections' names
        PresenceTiming timing; // the deployment's, for lastSeen and deadlines; decides nothing
    };

    RedisObserverEngine(const RedisUrl &url, Config config, QObject *parent = nullptr);
    ~RedisObserverEngine() override;

    void start();

    QString kind() const override { return QStringLiteral("redis observer"); }
    void readRoster(RosterCallback callback) override;
    EventId lastEventId() const override { return m_stream.position(); }
    void history(EventId after, HistoryCallback callback) override;
    void readDiagnostics(const QObject *context, DiagnosticsCallback callback) override;
    Health health() const override;

    // The commands connection, for the read of notify-keyspace-events (KeyspaceSwitch).
    RedisConnection &commands() { return m_commands; }

private:
    void sync();
    void apply(const QList<PresenceEvent> &events);

    Config m_config;
    RedisConnection m_commands;
    RedisConnection m_reader;
    PresenceStreamReader m_stream;
    EventId m_syncedAt; // entries up to here are in the roster read; a late read of them is old
    bool m_syncing = false;
    QString m_refusal; // why this Redis cannot be watched (a Redis Cluster node), once known
};

} // namespace presence
