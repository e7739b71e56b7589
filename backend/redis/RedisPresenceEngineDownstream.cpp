// RedisPresenceEngine's downstream: the presence stream it follows and the roster it mirrors
// from it — the first sync, the catch-up after a reconnect (a gap: a re-read with
// corrections), and following on demand (a Redis Cluster node reads only the shards its
// readers need). RedisPresenceEngine.cpp holds the rest of the class.
#include "RedisPresenceEngine.h"

#include "engine/RosterUpdates.h"
#include "redis/RosterReply.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QTimer>

Q_DECLARE_LOGGING_CATEGORY(lcRedisEngine)

namespace presence {

void RedisPresenceEngine::firstSync()
{
    if (!m_following) { // a cluster shard this node's readers do not need (yet)
        m_synced = true;
        becomeReady();
        return;
    }
    syncDownstream([this] {
        m_synced = true;
        becomeReady();
    });
}

void RedisPresenceEngine::syncDownstream(std::function<void()> done)
{
    // Position first, roster second, on one pipelined connection: a transition landing between
    // the two is then read again from the stream, and applyEntries() ignores repeats.
    const quint64 generation = ++m_followGeneration;
    auto position = std::make_shared<EventId>();
    m_commands.command({"XREVRANGE", m_config.keys.presenceStream(), "+", "-", "COUNT", "1"},
                       [position](const RedisReply &reply) {
                           const auto entries = parseStreamEntries(reply);
                           if (!entries.isEmpty())
                               *position = entries.first().id;
                       });
    RosterReply::read(m_commands, m_config.keys, this,
                      [this, position, generation, done = std::move(done)](const RosterReply &reply) {
        if (generation != m_followGeneration)
            return; // unfollowed, or synced again, meanwhile
        if (reply.status.isError()) {
            qCWarning(lcRedisEngine).noquote()
                << "reading the roster failed:" << reply.status.toByteArray() << "- retrying";
            // A lost connection syncs again once it is back (prepare); anything else soon.
            QTimer::singleShot(500, this, [this, generation, done] {
                if (generation == m_followGeneration && m_commands.state() == RedisConnection::State::Up)
                    syncDownstream(done);
            });
            return;
        }
        m_mirror.clear();
        for (const ClientPresence &row : reply.rows(m_config.timing.ttlMs()))
            m_mirror.upsert(row.member()) = row;
        m_live = true;
        m_downstream.start(*position);
        Q_EMIT rosterReset();
        if (done)
            done();
        for (const auto &live : std::exchange(m_whenLive, {}))
            live();
    });
}

bool RedisPresenceEngine::followStream(std::function<void()> live)
{
    if (m_live)
        return true;
    if (live)
        m_whenLive.append(std::move(live));
    if (!std::exchange(m_following, true) && m_ready)
        syncDownstream({});
    // Not ready: the sync comes with readiness (firstSync, restoreAfterReconnect).
    return false;
}

bool RedisPresenceEngine::follow(const QList<RoomName> & /*rooms*/, std::function<void()> live)
{
    return followStream(std::move(live));
}

void RedisPresenceEngine::unfollowStream()
{
    if (!std::exchange(m_following, false))
        return;
    ++m_followGeneration; // a sync under way is void
    m_whenLive.clear();
    const bool wasLive = std::exchange(m_live, false);
    m_downstream.stop();
    m_mirror.clear();
    if (wasLive)
        Q_EMIT rosterReset();
}

void RedisPresenceEngine::restoreAfterReconnect()
{
    // While this node could not reach Redis, nobody's heartbeats reached it either, when the
    // outage was Redis' own (a failover, a restart, a hang): deadlines that passed meanwhile
    // say nothing of the clients. No timeouts from this node until every node has had a
    // heartbeat period and a TTL to re-assert its members; members of a node that really died
    // meanwhile time out that much later, once.
    holdTimeouts();
    // If Redis lost its data, hand back who this node last saw ONLINE; clients Redis still
    // knows are left alone (see presence_restore in presence.lua).
    QList<QByteArray> args = m_config.keys.functionCall("presence_restore");
    args << QByteArray::number(m_config.timing.ttlMs()) << m_node;
    const qsizetype fixed = args.size();
    m_mirror.forEach([&args](const ClientPresence &row) {
        if (row.status == PresenceStatus::Online)
            args.append(row.member().storeKey().toUtf8());
    });
    if (args.size() > fixed) {
        m_commands.command(args, [this](const RedisReply &reply) {
            logIfError("presence_restore", reply);
            if (reply.toInteger() > 0)
                qCWarning(lcRedisEngine)
                    << "redis had lost" << reply.toInteger()
                    << "ONLINE clients; restored them pending their next heartbeat";
        });
    }
    if (m_live)
        checkForGap();
    else if (m_following) // asked for while Redis was away, or the sync was cut short
        syncDownstream({});
    becomeReady();
}

// While this node was away, the presence stream may have moved past what it can replay: trimmed
// beyond its position (max-deleted-entry-id), or rewound (a failover to a replica that had not
// got the last writes: last-generated-id before its position). Its roster copy is then wrong
// until re-read. (A stream that is gone is a Redis restarted empty: presence_restore above
// hands back what it held, and the roster it would read now is still being restored.)
void RedisPresenceEngine::checkForGap()
{
    const EventId position = m_downstream.position();
    m_commands.command({"XINFO", "STREAM", m_config.keys.presenceStream()},
                       [this, position](const RedisReply &reply) {
                           if (reply.isError())
                               return;
                           std::optional<EventId> maxDeleted, lastGenerated;
                           const auto &flat = reply.elements();
                           for (qsizetype i = 0; i + 1 < flat.size(); i += 2) {
                               if (flat[i].toByteArray() == "max-deleted-entry-id")
                                   maxDeleted = EventId::parse(flat[i + 1].toByteArray());
                               else if (flat[i].toByteArray() == "last-generated-id")
                                   lastGenerated = EventId::parse(flat[i + 1].toByteArray());
                           }
                           if (maxDeleted && position < *maxDeleted)
                               resync(QStringLiteral("the presence stream was trimmed past this "
                                                     "node's position %1 (up to %2)")
                                          .arg(position.toString(), maxDeleted->toString()));
                           else if (lastGenerated && *lastGenerated < position)
                               resync(QStringLiteral("the presence stream ends at %1, before this "
                                                     "node's position %2 (rewound or failed over)")
                                          .arg(lastGenerated->toString(), position.toString()));
                       });
}

// Re-reads the shared roster and tells the sessions every difference as a correction (reason
// "resync"), then rosterReset for views that reload wholesale.
void RedisPresenceEngine::resync(const QString &why)
{
    qCWarning(lcRedisEngine).noquote() << why << "- re-reading the roster";
    ++m_resyncs;
    readRoster([this](QList<ClientPresence> rows) {
        const QList<PresenceEvent> corrections =
            rosterCorrections(m_mirror, rows, m_downstream.position(),
                              QDateTime::currentMSecsSinceEpoch(), QString::fromUtf8(m_node));
        m_mirror.clear();
        for (const ClientPresence &row : std::as_const(rows))
            m_mirror.upsert(row.member()) = row;
        qCInfo(lcRedisEngine) << "roster re-read:" << corrections.size() << "corrections";
        for (const PresenceEvent &event : std::as_const(corrections))
            Q_EMIT presenceChanged(event);
        Q_EMIT rosterReset();
    });
}

void RedisPresenceEngine::applyEntries(const QList<PresenceEvent> &events)
{
    if (!m_live)
        return; // the last read of a stream no longer followed
    for (const PresenceEvent &event : events) {
        // A repeat (read again after the first sync, or written twice by another program):
        // the sessions were told already.
        if (applyPresenceEvent(m_mirror, event, m_config.timing.ttlMs()))
            Q_EMIT presenceChanged(event);
    }
    // Bound the mirror like the shared roster: drop the oldest OFFLINE rows.
    m_mirrorBound.changed(m_mirror, events.size());
}

} // namespace presence
