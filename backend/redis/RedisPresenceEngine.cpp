#include "RedisPresenceEngine.h"

#include "engine/RosterUpdates.h"
#include "redis/ClusterRedirect.h"
#include "redis/ClusterSlotOwner.h"
#include "redis/DiagnosticsReply.h"
#include "redis/PresenceLibrary.h"
#include "redis/RosterReply.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <algorithm>
#include <vector>

Q_LOGGING_CATEGORY(lcRedisEngine, "presence.redis")

namespace presence {

namespace {
// Heartbeats are kept this long past our TTL (see heartbeat()).
constexpr qint64 heartbeatRetentionMarginMs = 2000;

RedisConnection::Options connectionOptions(const RedisPresenceEngine::Config &config, const char *role)
{
    RedisConnection::Options options;
    options.clientName = QByteArray("presence:") + role + ':' + config.nodeId.toUtf8().replace(' ', '_');
    if (!config.shardName.isEmpty())
        options.clientName += ':' + config.shardName;
    return options;
}

// On a cluster, where each connection goes: the primary serving the shard's slot.
std::unique_ptr<PrimaryLocator> slotOwner(const RedisPresenceEngine::Config &config)
{
    if (!config.cluster)
        return nullptr;
    return std::make_unique<ClusterSlotOwner>(*config.cluster, config.clusterSlot);
}
} // namespace

RedisPresenceEngine::RedisPresenceEngine(const RedisUrl &url, Config config, QObject *parent)
    : PresenceEngine(parent)
    , m_config(std::move(config))
    , m_node(m_config.nodeId.toUtf8())
    , m_commands(url, slotOwner(m_config), connectionOptions(m_config, "commands"))
    , m_heartbeatReader(url, slotOwner(m_config), connectionOptions(m_config, "heartbeats"))
    , m_presenceReader(url, slotOwner(m_config), connectionOptions(m_config, "presence"))
    , m_subscriber(url, slotOwner(m_config), connectionOptions(m_config, "keyspace"))
    , m_processor(m_heartbeatReader, m_commands,
                  HeartbeatProcessor::Config{
                      m_config.keys, m_node, QByteArray::number(m_config.presenceMaxLen),
                      QByteArray::number(m_config.offlineKeep), m_config.timing.ttlMs()})
    , m_downstream(m_presenceReader, m_config.keys)
    , m_keyspace(m_subscriber, m_commands, m_config.keys, url.database())
    , m_following(m_config.followFromStart)
{
    connect(&m_commands, &RedisConnection::stateChanged, this,
            &RedisPresenceEngine::onCommandsStateChanged);
    // Health covers every connection (see health()): tell watchers whenever any changes.
    for (RedisConnection *part : {&m_heartbeatReader, &m_presenceReader, &m_subscriber})
        connect(part, &RedisConnection::stateChanged, this, &PresenceEngine::healthChanged);
    connect(&m_downstream, &PresenceStreamReader::entriesRead, this,
            &RedisPresenceEngine::applyEntries);
    connect(&m_keyspace, &KeyspaceListener::clientsExpired, this, &RedisPresenceEngine::expire);
    connect(&m_keyspace, &KeyspaceListener::deadlinesDue, this, &RedisPresenceEngine::sweepNow);
    connect(&m_keyspace, &KeyspaceListener::configChanged, this, &PresenceEngine::diagnosticsChanged);
    // Switched off only when we know nobody hears expiries (refused CONFIG: someone else may
    // have them on).
    connect(&m_keyspace, &KeyspaceListener::configChanged, this, [this] {
        m_processor.setAliveKeys(m_keyspace.configState() != KeyspaceListener::ConfigState::Disabled);
    });
    m_startedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_rateSinceMs = m_startedAtMs;
    m_sweepTimer.setSingleShot(true);
    m_sweepTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_sweepTimer, &QTimer::timeout, this, &RedisPresenceEngine::sweep);
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &RedisPresenceEngine::prepare);
    // A node with members stays alive through heartbeat(); one without any still shows in the
    // nodes view (and is not taken for dead) by saying so every period. Members with their
    // heartbeats paused keep the old meaning: no heartbeat, no liveness.
    m_idleAliveTimer.setInterval(int(std::max<qint64>(m_config.timing.heartbeatMs, 100)));
    connect(&m_idleAliveTimer, &QTimer::timeout, this, [this] {
        if (m_ready && m_local.isEmpty())
            markNodeAlive();
    });
}

RedisPresenceEngine::~RedisPresenceEngine() = default;

void RedisPresenceEngine::start()
{
    qCInfo(lcRedisEngine).noquote() << "engine: redis at" << m_commands.url().toDisplayString();
    m_keyspace.setNotificationsWanted(m_config.keyspaceNotifications);
    m_commands.open();
    m_heartbeatReader.open();
    m_presenceReader.open();
    m_keyspace.start();
    m_subscriber.open();
    m_idleAliveTimer.start();
}

QList<QByteArray> RedisPresenceEngine::call(const char *function) const
{
    QList<QByteArray> argv = m_config.keys.functionCall(function);
    argv << QByteArray::number(m_config.presenceMaxLen) << QByteArray::number(m_config.offlineKeep);
    return argv;
}

void RedisPresenceEngine::logIfError(const char *what, const RedisReply &reply)
{
    if (!reply.isError())
        return;
    if (ClusterRedirect::isDeferral(reply)) // the cluster's state is logged where it changes
        qCDebug(lcRedisEngine).noquote() << what << "deferred:" << reply.toByteArray();
    else
        qCWarning(lcRedisEngine).noquote() << what << "failed:" << reply.toByteArray();
}

void RedisPresenceEngine::onCommandsStateChanged(RedisConnection::State state, const QString &error)
{
    if (state == RedisConnection::State::Up) {
        prepare();
        return;
    }
    if (m_ready) {
        m_ready = false;
        m_sweepTimer.stop();
        qCWarning(lcRedisEngine).noquote()
            << "redis unreachable:" << error << "- serving from the last known roster";
        Q_EMIT readyChanged(false);
    }
    Q_EMIT healthChanged();
}

void RedisPresenceEngine::prepare()
{
    if (m_commands.state() != RedisConnection::State::Up)
        return;
    if (m_config.cluster) { // a shard's engine: a cluster node is what it expects
        loadLibrary();
        return;
    }
    // A Redis Cluster node given as one Redis would refuse the keys of other slots one by one;
    // say at once what is wrong instead (several hosts make a ClusterPresenceEngine).
    m_commands.command({"INFO", "cluster"}, [this](const RedisReply &reply) {
        if (!reply.toByteArray().contains("cluster_enabled:1")) {
            loadLibrary();
            return;
        }
        // (Asked at start-up, it would have run the cluster engine: it did not answer then.)
        m_problem = QStringLiteral("%1 is a Redis Cluster node, which did not answer when presence "
                                   "started: restart presence to run on the Cluster (or name two or "
                                   "more of its nodes in --redis: redis://host1:port1,host2:port2)")
                        .arg(m_commands.serverDescription());
        qCCritical(lcRedisEngine).noquote() << m_problem;
        Q_EMIT healthChanged();
    });
}

void RedisPresenceEngine::loadLibrary()
{
    PresenceLibrary::load(m_commands, [this](bool ok, const QString &message) {
        if (!ok) {
            m_problem = message;
            qCCritical(lcRedisEngine).noquote() << message << "- retrying in 5 s";
            Q_EMIT healthChanged();
            m_retryTimer.start(5000);
            return;
        }
        m_problem.clear();
        qCInfo(lcRedisEngine).noquote() << message;
        markNodeAlive();
        m_processor.start();
        m_keyspace.ensureNotifications();
        if (m_synced)
            restoreAfterReconnect();
        else
            firstSync();
    });
}

void RedisPresenceEngine::becomeReady()
{
    // Ready first: leave() keeps a leave pending while not ready, and the pending ones go out
    // now (a leave made while Redis was away, then re-pended here, was never sent: the member
    // timed out instead of leaving).
    m_ready = true;
    registerLocalClients();
    if (m_config.sweepIntervalMs > 0) // 0: no sweep (benchmarks of the notification path alone)
        m_sweepTimer.start(0);
    Q_EMIT readyChanged(true);
    Q_EMIT healthChanged();
}

void RedisPresenceEngine::registerLocalClients()
{
    std::vector<std::pair<quint64, RoomMember>> members;
    members.reserve(size_t(m_local.size()));
    for (auto it = m_local.cbegin(); it != m_local.cend(); ++it)
        members.emplace_back(it->openedOrder, it.key());
    std::sort(members.begin(), members.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (const auto &[order, member] : members)
        connectMember(member, localConnections(member));
    const QSet<RoomMember> leaves = std::exchange(m_pendingLeaves, {});
    for (const RoomMember &member : leaves)
        leave(member);
}

RedisPresenceEngine::NodeFigures RedisPresenceEngine::ownNodeFigures() const
{
    return {std::count_if(m_local.cbegin(), m_local.cend(),
                          [](const LocalMember &local) { return local.connections > 0; }),
            m_heartbeatsWritten};
}

void RedisPresenceEngine::markNodeAlive()
{
    // Other nodes count this node's connections only while this key lives.
    const qint64 ttl = std::max<qint64>(3 * m_config.timing.heartbeatMs, 2000);
    // With it, the small record the nodes view shows (one HSET inside the same call).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const NodeFigures figures = m_nodeFigures ? m_nodeFigures() : ownNodeFigures();
    if (now - m_rateSinceMs >= 1000) {
        m_heartbeatsPerSecond = double(figures.heartbeatsWritten - m_rateCount) * 1000.0 /
                                double(now - m_rateSinceMs);
        m_rateCount = figures.heartbeatsWritten;
        m_rateSinceMs = now;
    }
    NodeRecord record;
    record.version = QCoreApplication::applicationVersion();
    record.startedAtMs = m_startedAtMs;
    record.sessions = sessionCount();
    record.members = figures.members;
    record.heartbeatsPerSecond = m_heartbeatsPerSecond;
    record.roundTripMs = m_roundTripMs;
    QElapsedTimer sent;
    sent.start();
    m_commands.command(
        m_config.keys.functionCall("presence_alive")
            << m_node << QByteArray::number(ttl) << record.toJson(),
        [this, sent](const RedisReply &reply) {
            logIfError("presence_alive", reply);
            m_roundTripMs = sent.elapsed();
            // Redis' clock (stream ids are its time) against ours, to the reply's round trip.
            bool ok = false;
            const qint64 redisNow = reply.toInteger(&ok);
            if (ok && redisNow > 0) {
                m_redisClockOffsetMs = redisNow - QDateTime::currentMSecsSinceEpoch();
                m_redisClockMeasured = true;
            }
        });
}

void RedisPresenceEngine::setConnections(const RoomMember &member, int connections)
{
    LocalMember &local = m_local[member];
    if (local.openedOrder == 0)
        local.openedOrder = ++m_openedSoFar;
    local.connections = connections;
    m_pendingLeaves.remove(member);
    if (m_ready)
        connectMember(member, connections);
}

void RedisPresenceEngine::connectMember(const RoomMember &member, int connections)
{
    QList<QByteArray> args = call("presence_connect");
    args << QByteArray::number(m_config.timing.ttlMs()) << m_node << member.storeKey().toUtf8()
         << QByteArray::number(connections);
    m_commands.command(args, [this](const RedisReply &r) { logIfError("presence_connect", r); });
}

void RedisPresenceEngine::heartbeat(const QList<RoomMember> &members)
{
    if (!m_ready)
        return;
    markNodeAlive();
    const QByteArray stream = m_config.keys.heartbeatStream();
    // Retention by time, not count: a heartbeat older than its TTL changes nothing, and one
    // younger may still be waiting for a lagging processor (at 100k clients a count cap of
    // 100k held 5 s, less than the TTL). Times are Redis' (the ids'), via the offset presence_alive
    // measures; the margin covers the round trip and processors a little late.
    const qint64 ttl = m_config.timing.ttlMs();
    const QByteArray minId = QByteArray::number(
        std::max<qint64>(QDateTime::currentMSecsSinceEpoch() + m_redisClockOffsetMs - ttl -
                             heartbeatRetentionMarginMs,
                         0));
    const QByteArray ttlField = QByteArray::number(ttl);
    // One entry for up to heartbeatMembersPerEntry members (StreamEntries.h): every entry costs
    // the processors a stream read, a pending-list entry and an acknowledgement, a member only
    // its renewal. It says its TTL (so a processor with other timing honours ours) and our
    // connections of each (so a member timed out while this node was paused comes back with
    // them counted).
    const qsizetype perEntry = std::clamp(m_config.heartbeatEntryMembers, 1, heartbeatMembersPerEntry);
    if (perEntry == 1) { // the seed's entries: what processors before library v7 read
        for (const RoomMember &member : members) {
            QList<QByteArray> add{"XADD", stream, "MINID",  "~",
                                  minId,  "*",    "client", member.client.toString().toUtf8(),
                                  "node", m_node, "ttl",    ttlField};
            if (const int held = localConnections(member); held > 0)
                add << "conns" << QByteArray::number(held);
            if (!member.room.isDefault())
                add << "room" << member.room.wireName().toUtf8();
            m_commands.command(add);
        }
        m_heartbeatsWritten += quint64(members.size());
        return;
    }
    for (qsizetype first = 0; first < members.size(); first += perEntry) {
        const qsizetype last = std::min<qsizetype>(first + perEntry, members.size());
        QByteArray names, conns;
        names.reserve((last - first) * 24);
        conns.reserve((last - first) * 2);
        for (qsizetype i = first; i < last; ++i) {
            if (i > first) {
                names += ' ';
                conns += ' ';
            }
            names += members[i].storeKey().toUtf8();
            conns += QByteArray::number(localConnections(members[i]));
        }
        m_commands.command({"XADD", stream, "MINID", "~", minId, "*", "members", names, "conns",
                            conns, "node", m_node, "ttl", ttlField});
    }
    m_heartbeatsWritten += quint64(members.size());
}

void RedisPresenceEngine::leave(const RoomMember &member)
{
    m_local.remove(member);
    if (!m_ready) {
        m_pendingLeaves.insert(member);
        return;
    }
    QList<QByteArray> args = call("presence_leave");
    args << m_node << member.storeKey().toUtf8();
    m_commands.command(args, [this, member](const RedisReply &r) {
        if (!r.isError() || m_local.contains(member)) // done, or the member came back meanwhile
            return;
        // Lost with its connection (executed or not: leaving again changes nothing): sent again
        // once Redis is back. Refused with MOVED (its slot moved during a cluster migration;
        // not executed): sent again once the connection, which follows the slot, is Up on the
        // new owner (from the event loop: it moves after this reply). Without it the member
        // stayed counted as connected here and timed out instead of leaving (after a failover,
        // a dropped connection, a slot migrated).
        const bool lost = r.toByteArray().startsWith("CONNECTION");
        if (lost || r.toByteArray().startsWith("MOVED")) // evidence for docs/cluster.md item 6
            qCInfo(lcRedisEngine).noquote() << "presence_leave of" << member.storeKey()
                                            << "sent again after" << r.toByteArray().left(60);
        if (lost) {
            leave(member);
        } else if (r.toByteArray().startsWith("MOVED")) {
            QMetaObject::invokeMethod(
                this, [this, member] { if (!m_local.contains(member)) leave(member); },
                Qt::QueuedConnection);
        } else {
            logIfError("presence_leave", r);
        }
    });
}

QList<ClientPresence> RedisPresenceEngine::snapshot() const
{
    return m_mirror.rows();
}

QList<ClientPresence> RedisPresenceEngine::roomSnapshot(const RoomName &room) const
{
    return m_mirror.roomRows(room);
}

void RedisPresenceEngine::readRoster(RosterCallback callback)
{
    if (m_commands.state() != RedisConnection::State::Up) {
        callback(snapshot());
        return;
    }
    RosterReply::read(m_commands, m_config.keys, this,
                      [this, callback = std::move(callback)](const RosterReply &reply) {
                          if (reply.status.isError())
                              callback(snapshot());
                          else
                              callback(reply.rows(m_config.timing.ttlMs()));
                      });
}

void RedisPresenceEngine::history(EventId after, HistoryCallback callback)
{
    // Complete when nothing after `after` was trimmed (XINFO's max-deleted-entry-id, Redis 7),
    // `after` is not past the stream's end (an id from another store, or forged), and the
    // stream holds it: every id a session is sent is an entry's, so one the stream lacks was
    // lost in a rewind (a failover to a replica that missed it, a restore from an older
    // snapshot), and the entries after it are another story than the one the client was told.
    auto complete = std::make_shared<bool>(false);
    auto held = std::make_shared<bool>(false);
    m_commands.command({"XINFO", "STREAM", m_config.keys.presenceStream()},
                       [complete, after](const RedisReply &reply) {
                           const auto &flat = reply.elements();
                           std::optional<EventId> maxDeleted, lastGenerated;
                           for (qsizetype i = 0; i + 1 < flat.size(); i += 2) {
                               if (flat[i].toByteArray() == "max-deleted-entry-id")
                                   maxDeleted = EventId::parse(flat[i + 1].toByteArray());
                               else if (flat[i].toByteArray() == "last-generated-id")
                                   lastGenerated = EventId::parse(flat[i + 1].toByteArray());
                           }
                           *complete = maxDeleted && lastGenerated && after >= *maxDeleted &&
                                       after <= *lastGenerated;
                       });
    m_commands.command(
        {"XRANGE", m_config.keys.presenceStream(), after.toByteArray(), after.toByteArray()},
        [held](const RedisReply &reply) { *held = !parseStreamEntries(reply).isEmpty(); });
    constexpr int replayLimit = 10000;
    m_commands.command({"XRANGE", m_config.keys.presenceStream(), "(" + after.toByteArray(), "+",
                        "COUNT", QByteArray::number(replayLimit)},
                       [complete, held, callback](const RedisReply &reply) {
                           History history;
                           history.complete = *complete && *held && !reply.isError();
                           if (history.complete) {
                               const QList<StreamEntry> entries = parseStreamEntries(reply);
                               // More than the limit: a fresh roster is cheaper than a replay.
                               if (entries.size() >= replayLimit)
                                   history.complete = false;
                               for (const StreamEntry &entry : entries) {
                                   if (auto event = parsePresenceEntry(entry))
                                       history.events.append(std::move(*event));
                               }
                           }
                           if (!history.complete)
                               history.events.clear();
                           callback(std::move(history));
                       });
}

PresenceEngine::Health RedisPresenceEngine::health() const
{
    switch (m_commands.state()) {
    case RedisConnection::State::Up:
        if (!m_ready)
            return Health{false, QStringLiteral("starting"), m_problem};
        break;
    case RedisConnection::State::Connecting:
        return Health{false, QStringLiteral("connecting"), m_commands.lastError()};
    case RedisConnection::State::Down:
        return Health{false, QStringLiteral("down"), m_commands.lastError()};
    }
    // Commands answer, but the truth needs every connection: heartbeats processed, the
    // presence stream followed, expiries heard (each reconnects on its own; until then the
    // node's word is stale).
    const std::pair<const RedisConnection *, const char *> parts[] = {
        {&m_heartbeatReader, "the heartbeat processor's connection"},
        {&m_presenceReader, "the presence stream reader's connection"},
        {&m_subscriber, "the keyspace subscriber's connection"}};
    for (const auto &[connection, what] : parts) {
        if (connection->state() != RedisConnection::State::Up) {
            const QString why = connection->lastError();
            return Health{false, QStringLiteral("degraded"),
                          QStringLiteral("%1 is not up%2")
                              .arg(QLatin1String(what),
                                   why.isEmpty() ? QString() : QStringLiteral(": ") + why)};
        }
    }
    return Health{true, QStringLiteral("up"), {}};
}

void RedisPresenceEngine::setExpiredNotificationsWanted(bool wanted)
{
    m_keyspace.setNotificationsWanted(wanted);
}

void RedisPresenceEngine::setTiming(const PresenceTiming &timing)
{
    m_config.timing = timing;
    m_processor.setTtl(timing.ttlMs());
}

} // namespace presence
