#pragma once

#include "engine/ProcessorBacklog.h"
#include "redis/RedisConnection.h"
#include "redis/RedisKeys.h"
#include "redis/StreamEntries.h"

#include <QObject>
#include <QTimer>

namespace presence {

// The server-side heartbeat processor: a consumer in the group on the `heartbeat` stream.
// Each batch read goes to presence_heartbeat_groups (in calls of at most `batch` heartbeats)
// and is acknowledged after every call succeeded, so a node that crashes mid-batch leaves its entries pending; every processor
// claims entries left pending too long (XAUTOCLAIM), and the function ignores heartbeats
// older than the TTL, so a late claim never revives anyone.
// An entry is the seed's one-client kind or our nodes' many-member kind (StreamEntries.h).
// Junk entries (no client, an invalid id, binary) are acknowledged, counted and logged; invalid
// members of a many-member entry are left out (counted, logged), the valid ones count.
// Each heartbeat lasts the TTL its writer put in it (field `ttl`); ours (ttlMs) is for
// entries without one, such as the seed's and redis-cli's.
class HeartbeatProcessor final : public QObject {
    Q_OBJECT
public:
    struct Config {
        RedisKeys keys;
        QByteArray consumer; // this node's id
        QByteArray presenceMaxLen = "100000";
        QByteArray offlineKeep = "10000";
        qint64 ttlMs = 7500;
        int batch = 1000; // heartbeats per read and per function call
        int window = 4;   // batches read and not yet through the function, at most
        int blockMs = 1000;
        int claimIdleMs = 1000;     // pending this long ⇒ another processor may take it
        int pruneEveryClaims = 10;  // every so many claim rounds, dead consumers leave
        int consumerIdleMs = 10000; // … when idle this long, with nothing pending, node gone
    };
    struct Stats {
        quint64 processed = 0;
        quint64 junk = 0;           // entries without one valid heartbeat
        quint64 skippedMembers = 0; // invalid members of many-member entries
        quint64 transitions = 0;
        quint64 claimed = 0;
        quint64 failedBatches = 0;
        quint64 consumersPruned = 0;
    };

    // `reader` blocks in XREADGROUP and must not be shared; `commands` is the shared one.
    HeartbeatProcessor(RedisConnection &reader, RedisConnection &commands, Config config,
                       QObject *parent = nullptr);

    // Creates the group when missing and starts reading (again, after a reconnect).
    void start();
    void stop();
    void setTtl(qint64 ttlMs) { m_config.ttlMs = ttlMs; }
    // Whether the `alive` keys are kept: only their expiry event reads them, so not while
    // expired notifications are off (one command less per renewal).
    void setAliveKeys(bool kept) { m_aliveKeys = kept; }
    bool aliveKeys() const { return m_aliveKeys; }
    const Stats &stats() const { return m_stats; }
    // The group's backlog as last read (every claim round, claimIdleMs).
    const ProcessorBacklog &backlog() const { return m_backlog; }

Q_SIGNALS:
    void junkEntry(const QString &entryId, const QString &why);

private:
    void createGroup();
    void readNext();
    QByteArray readCount() const; // entries to read for about `batch` heartbeats
    void claimPending();
    void pruneDeadConsumers();
    void readBacklog();
    void process(const QList<StreamEntry> &entries);

    RedisConnection &m_reader;
    RedisConnection &m_commands;
    Config m_config;
    Stats m_stats;
    bool m_running = false;
    bool m_reading = false;
    QByteArray m_claimCursor = "0-0";
    int m_claimRounds = 0;
    bool m_aliveKeys = true;
    // In the last batch: sizes the next read (at first as if it were our nodes' entries: a read
    // of `batch` of those would be `batch` times too big).
    int m_heartbeatsPerEntry = heartbeatMembersPerEntry;
    int m_inFlight = 0;           // batches whose function calls have not all answered
    bool m_readHeld = false;      // reading waits for m_inFlight to drop below the window
    quint64 m_skipReports = 0;
    ProcessorBacklog m_backlog;
    QTimer m_claimTimer;
};

} // namespace presence
