#include "redis/ClusterPresenceEngine.h"

#include "redis/PresenceLibrary.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>
#include <algorithm>
#include <memory>

Q_DECLARE_LOGGING_CATEGORY(lcRedisEngine)

namespace presence {

namespace {
RedisKeys shardKeys(const ClusterShards &shards, int shard)
{
    RedisKeys keys;
    keys.prefix = '{' + shards.tag(shard) + "}:";
    if (shard == 0) // "{presence}:…" shares the slot of the seed's stream, so it writes there
        keys.presenceStreamName = QByteArrayLiteral("presence");
    return keys;
}

RedisCluster::Options clusterOptions(const QString &nodeId)
{
    RedisCluster::Options options;
    options.connection.clientName = "presence:cluster:" + nodeId.toUtf8().replace(' ', '_');
    return options;
}
} // namespace

ClusterPresenceEngine::ClusterPresenceEngine(const RedisUrl &seeds, Config config, QObject *parent)
    : PresenceEngine(parent)
    , m_config(std::move(config))
    , m_seeds(seeds.toDisplayString())
    , m_cluster(seeds, clusterOptions(m_config.shard.nodeId))
    , m_shards(std::max(m_config.shards, 2))
    , m_forwarder(seeds, m_cluster, m_shards, m_config.shard.nodeId)
    , m_interest(m_shards.count(), m_config.lingerMs)
{
    m_engines.reserve(size_t(m_shards.count()));
    for (int i = 0; i < m_shards.count(); ++i) {
        RedisPresenceEngine::Config shard = m_config.shard;
        shard.keys = shardKeys(m_shards, i);
        shard.cluster = &m_cluster;
        shard.clusterSlot = m_shards.slot(i);
        shard.shardName = "s" + QByteArray::number(i);
        shard.followFromStart = false; // follow() starts reading it
        auto engine = std::make_unique<RedisPresenceEngine>(seeds, shard);
        RedisPresenceEngine *raw = engine.get();
        connect(raw, &PresenceEngine::presenceChanged, this, &PresenceEngine::presenceChanged);
        connect(raw, &PresenceEngine::rosterReset, this, &PresenceEngine::rosterReset);
        connect(raw, &PresenceEngine::healthChanged, this, &PresenceEngine::healthChanged);
        connect(raw, &PresenceEngine::diagnosticsChanged, this, &PresenceEngine::diagnosticsChanged);
        connect(raw, &RedisPresenceEngine::readyChanged, this, [this] {
            const bool ready = isReady();
            if (ready != std::exchange(m_ready, ready))
                Q_EMIT readyChanged(ready);
        });
        // CLUSTERDOWN is the whole cluster's (cluster-require-full-coverage): one shard told
        // it means every shard's heartbeats are held back too, those of rooms on live
        // primaries included, so every shard holds its timeouts.
        connect(&raw->commands(), &RedisConnection::clusterDeferred, this,
                &ClusterPresenceEngine::holdTimeoutsEverywhere);
        // And again once held commands go through: a hold counted from the last CLUSTERDOWN
        // could end before the heartbeats another node held (retried up to 500 ms apart) had
        // landed, and this node's sweep timed out a steady member of that node (a flap seen
        // under load in tst_cluster_engine: OFFLINE "timeout", ONLINE 130 ms later).
        connect(&raw->commands(), &RedisConnection::clusterResumed, this,
                &ClusterPresenceEngine::holdTimeoutsEverywhere);
        m_engines.push_back(std::move(engine));
    }
    // The node record the nodes view reads is shard 0's: it counts the whole node.
    m_engines.front()->setNodeFigures([this] {
        RedisPresenceEngine::NodeFigures node;
        for (const auto &engine : m_engines) {
            const RedisPresenceEngine::NodeFigures shard = engine->ownNodeFigures();
            node.members += shard.members;
            node.heartbeatsWritten += shard.heartbeatsWritten;
        }
        return node;
    });
    // The cluster serves every slot again after a primary was lost: heartbeats held back
    // meanwhile (by any shard, whether or not this node had one in flight) are only now
    // going out, so deadlines that passed are no evidence yet.
    connect(&m_cluster, &RedisCluster::stateChanged, this, [this](RedisCluster::State state) {
        if (state != RedisCluster::State::Up)
            m_clusterWasDown = true;
        else if (std::exchange(m_clusterWasDown, false))
            holdTimeoutsEverywhere();
    });
    // A primary that joins (or a replica promoted) gets the library before any shard moves to
    // it; the shards' own load (and its version check) follows on their reconnect.
    connect(&m_cluster, &RedisCluster::slotMapChanged, this,
            &ClusterPresenceEngine::loadLibraryEverywhere);
    m_idleCheck.setInterval(int(std::clamp<qint64>(m_config.lingerMs / 4, 50, 1000)));
    connect(&m_idleCheck, &QTimer::timeout, this, &ClusterPresenceEngine::stopReadingIdleShards);
}

ClusterPresenceEngine::~ClusterPresenceEngine() = default;

void ClusterPresenceEngine::holdTimeoutsEverywhere()
{
    for (auto &engine : m_engines)
        engine->holdTimeouts();
}

void ClusterPresenceEngine::start()
{
    qCInfo(lcRedisEngine).noquote() << "engine: redis cluster at" << m_seeds << "-"
                                    << m_shards.count() << "shards";
    m_cluster.open();
    for (auto &engine : m_engines)
        engine->start();
    m_forwarder.start();
}

bool ClusterPresenceEngine::isReady() const
{
    return std::all_of(m_engines.cbegin(), m_engines.cend(),
                       [](const auto &engine) { return engine->isReady(); });
}

void ClusterPresenceEngine::loadLibraryEverywhere()
{
    const QByteArray code = PresenceLibrary::source();
    m_cluster.onEveryPrimary({"FUNCTION", "LOAD", code}, [](const auto &replies) {
        for (const auto &[node, reply] : replies) {
            if (reply.isError() && !reply.toByteArray().contains("already exists"))
                qCWarning(lcRedisEngine).noquote()
                    << "FUNCTION LOAD on" << node.host << node.port << "failed:" << reply.toByteArray();
        }
    });
}

void ClusterPresenceEngine::setConnections(const RoomMember &member, int connections)
{
    shardOf(member.room).setConnections(member, connections);
}

void ClusterPresenceEngine::heartbeat(const QList<RoomMember> &members)
{
    QHash<int, QList<RoomMember>> byShard;
    for (const RoomMember &member : members)
        byShard[m_shards.shardOf(member.room)].append(member);
    // Every shard hears from this node, members or not: its liveness there counts the
    // connections it holds in that shard's rooms.
    for (int i = 0; i < m_shards.count(); ++i)
        shard(i).heartbeat(byShard.value(i));
}

void ClusterPresenceEngine::leave(const RoomMember &member)
{
    shardOf(member.room).leave(member);
}

QList<ClientPresence> ClusterPresenceEngine::snapshot() const
{
    QList<ClientPresence> rows;
    for (const auto &engine : m_engines)
        rows += engine->snapshot();
    return rows;
}

QList<ClientPresence> ClusterPresenceEngine::roomSnapshot(const RoomName &room) const
{
    return m_engines.at(size_t(m_shards.shardOf(room)))->roomSnapshot(room);
}

void ClusterPresenceEngine::readRoster(RosterCallback callback)
{
    struct Gathering {
        QList<ClientPresence> rows;
        size_t waiting = 0;
        RosterCallback done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->waiting = m_engines.size();
    gathering->done = std::move(callback);
    for (auto &engine : m_engines) {
        engine->readRoster([gathering](QList<ClientPresence> rows) {
            gathering->rows += rows;
            if (--gathering->waiting == 0)
                gathering->done(std::move(gathering->rows));
        });
    }
}

EventId ClusterPresenceEngine::lastEventId() const
{
    EventId newest;
    for (const auto &engine : m_engines)
        newest = std::max(newest, engine->lastEventId());
    return newest;
}

void ClusterPresenceEngine::history(EventId /*after*/, HistoryCallback callback)
{
    // Each shard's stream has ids of its own primary's clock: one id cannot say where a client
    // is in all of them, so a resume gets the fresh roster (complete = false), as after a gap.
    callback(History{});
}

int ClusterPresenceEngine::commonShard(const QList<RoomName> &rooms) const
{
    int shard = -1;
    for (const RoomName &room : rooms) {
        const int of = m_shards.shardOf(room);
        if (shard >= 0 && of != shard)
            return -1;
        shard = of;
    }
    return shard;
}

bool ClusterPresenceEngine::idsOrderedAcross(const QList<RoomName> &rooms) const
{
    return commonShard(rooms) >= 0;
}

EventId ClusterPresenceEngine::lastEventIdOf(const QList<RoomName> &rooms) const
{
    const int shard = commonShard(rooms);
    return shard >= 0 ? m_engines.at(size_t(shard))->lastEventId() : lastEventId();
}

void ClusterPresenceEngine::historyFor(EventId after, const QList<RoomName> &rooms,
                                       HistoryCallback callback)
{
    const int shard = commonShard(rooms);
    if (shard < 0)
        return callback(History{});
    m_engines.at(size_t(shard))->history(after, std::move(callback));
}

void ClusterPresenceEngine::historyAcross(const QList<EventId> &afterPerRoom,
                                          const QList<RoomName> &rooms, HistoryCallback callback)
{
    if (afterPerRoom.size() != rooms.size() || rooms.isEmpty())
        return callback(History{});
    // One read per shard, from the oldest place of its rooms (events of a room before its own
    // place are dropped by the session, as repeats).
    QHash<int, EventId> fromByShard;
    for (qsizetype i = 0; i < rooms.size(); ++i) {
        const int shard = m_shards.shardOf(rooms[i]);
        const auto found = fromByShard.constFind(shard);
        if (found == fromByShard.cend() || afterPerRoom[i] < *found)
            fromByShard.insert(shard, afterPerRoom[i]);
    }
    struct Gathering {
        History combined{true, {}};
        qsizetype waiting = 0;
        HistoryCallback done;
    };
    auto gathering = std::make_shared<Gathering>();
    gathering->waiting = fromByShard.size();
    gathering->done = std::move(callback);
    for (auto it = fromByShard.cbegin(); it != fromByShard.cend(); ++it) {
        m_engines.at(size_t(it.key()))->history(it.value(), [gathering](History shard) {
            gathering->combined.complete = gathering->combined.complete && shard.complete;
            gathering->combined.events += shard.events;
            if (--gathering->waiting == 0)
                gathering->done(std::move(gathering->combined));
        });
    }
}

QList<int> ClusterPresenceEngine::shardsOf(const QList<RoomName> &rooms) const
{
    QList<int> shards;
    for (const RoomName &room : rooms) {
        const int shard = m_shards.shardOf(room);
        if (!shards.contains(shard))
            shards.append(shard);
    }
    return shards;
}

bool ClusterPresenceEngine::follow(const QList<RoomName> &rooms, std::function<void()> live)
{
    const QList<int> named = shardsOf(rooms);
    m_interest.add(named);
    QList<int> shards = named;
    if (rooms.isEmpty()) {
        for (int i = 0; i < m_shards.count(); ++i)
            shards.append(i);
    }
    // `live` once the last of these shards that is not read yet is.
    auto waiting = std::make_shared<int>(0);
    auto whenLive = std::make_shared<std::function<void()>>(std::move(live));
    for (const int index : std::as_const(shards)) {
        if (!m_interest.isRead(index))
            qCInfo(lcRedisEngine) << "reading shard" << index << "- a reader here needs it";
        m_interest.markRead(index);
        const bool already = shard(index).followStream([waiting, whenLive] {
            if (--*waiting == 0 && *whenLive)
                (*whenLive)();
        });
        if (!already)
            ++*waiting;
    }
    if (!m_idleCheck.isActive())
        m_idleCheck.start();
    return *waiting == 0;
}

void ClusterPresenceEngine::unfollow(const QList<RoomName> &rooms)
{
    m_interest.remove(shardsOf(rooms), QDateTime::currentMSecsSinceEpoch());
}

void ClusterPresenceEngine::stopReadingIdleShards()
{
    for (const int index : m_interest.takeIdle(QDateTime::currentMSecsSinceEpoch())) {
        qCInfo(lcRedisEngine) << "no longer reading shard" << index << "- no reader here for"
                              << m_config.lingerMs << "ms";
        shard(index).unfollowStream();
    }
}

PresenceEngine::Health ClusterPresenceEngine::health() const
{
    if (!m_cluster.hasSlotMap())
        return Health{false, QStringLiteral("connecting"), m_cluster.lastError()};
    for (size_t i = 0; i < m_engines.size(); ++i) {
        Health shardHealth = m_engines[i]->health();
        if (!shardHealth.ok) {
            shardHealth.detail = QStringLiteral("shard %1 (slot %2): %3")
                                     .arg(i)
                                     .arg(m_shards.slot(int(i)))
                                     .arg(shardHealth.detail.isEmpty() ? shardHealth.state
                                                                       : shardHealth.detail);
            return shardHealth;
        }
    }
    const Health forwarding = m_forwarder.health();
    if (!forwarding.ok)
        return forwarding;
    return Health{true, QStringLiteral("up"), {}};
}

ProcessorBacklog ClusterPresenceEngine::processorBacklog() const
{
    ProcessorBacklog total;
    for (const auto &engine : m_engines) {
        const ProcessorBacklog shard = engine->processorBacklog();
        if (!shard.known)
            continue;
        total.known = true;
        total.lag = (total.lag < 0 || shard.lag < 0) ? -1 : total.lag + shard.lag;
        total.pending += shard.pending;
        total.consumers = std::max(total.consumers, shard.consumers);
        total.behindMs = std::max(total.behindMs, shard.behindMs);
    }
    return total;
}

void ClusterPresenceEngine::setExpiredNotificationsWanted(bool wanted)
{
    for (auto &engine : m_engines)
        engine->setExpiredNotificationsWanted(wanted);
}

void ClusterPresenceEngine::setTiming(const PresenceTiming &timing)
{
    m_config.shard.timing = timing;
    for (auto &engine : m_engines)
        engine->setTiming(timing);
}

} // namespace presence
