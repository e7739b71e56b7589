#include "redis/SeedHeartbeatForwarder.h"

#include "redis/ClusterKeySlot.h"
#include "redis/ClusterSlotOwner.h"
#include "redis/RedisCluster.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcForwarder, "presence.redis.forwarder")

namespace presence {

namespace {
const QByteArray seedStream = QByteArrayLiteral("heartbeat");
const QByteArray group = QByteArrayLiteral("presence-forwarders");
constexpr int readCount = 1000;
constexpr int blockMs = 1000;

RedisConnection::Options options(const QString &nodeId, const char *role)
{
    RedisConnection::Options o;
    o.clientName = QByteArray("presence:") + role + ':' + nodeId.toUtf8().replace(' ', '_');
    return o;
}

std::unique_ptr<PrimaryLocator> seedSlot(RedisCluster &cluster)
{
    return std::make_unique<ClusterSlotOwner>(cluster, clusterKeySlot(seedStream));
}
} // namespace

SeedHeartbeatForwarder::SeedHeartbeatForwarder(const RedisUrl &seeds, RedisCluster &cluster,
                                               const ClusterShards &shards, const QString &nodeId,
                                               QObject *parent)
    : QObject(parent)
    , m_cluster(cluster)
    , m_shards(shards)
    , m_consumer(nodeId.toUtf8())
    , m_reader(seeds, seedSlot(cluster), options(nodeId, "forward-read"))
    , m_commands(seeds, seedSlot(cluster), options(nodeId, "forward"))
{
    connect(&m_commands, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
        if (state == RedisConnection::State::Up && m_running)
            createGroup(); // again after a failover: the promoted replica may lack it
    });
    connect(&m_reader, &RedisConnection::stateChanged, this, [this](RedisConnection::State state) {
        if (state == RedisConnection::State::Up && m_running && !m_reading)
            readNext();
    });
    connect(&m_claimTimer, &QTimer::timeout, this, &SeedHeartbeatForwarder::claimPending);
}

SeedHeartbeatForwarder::~SeedHeartbeatForwarder() = default;

void SeedHeartbeatForwarder::start()
{
    m_running = true;
    m_reader.open();
    m_commands.open();
    m_claimTimer.start(claimIdleMs);
}

PresenceEngine::Health SeedHeartbeatForwarder::health() const
{
    for (const RedisConnection *part : {&m_reader, &m_commands}) {
        if (part->state() != RedisConnection::State::Up) {
            return PresenceEngine::Health{
                false, QStringLiteral("degraded"),
                QStringLiteral("the seed heartbeat forwarder's connection is not up: %1")
                    .arg(part->lastError())};
        }
    }
    return PresenceEngine::Health{true, QStringLiteral("up"), {}};
}

void SeedHeartbeatForwarder::createGroup()
{
    m_commands.command({"XGROUP", "CREATE", seedStream, group, "$", "MKSTREAM"},
                       [this](const RedisReply &reply) {
                           if (reply.isError() && !reply.toByteArray().startsWith("BUSYGROUP"))
                               qCWarning(lcForwarder).noquote()
                                   << "cannot create the forwarders' group:" << reply.toByteArray();
                           if (m_running && !m_reading)
                               readNext();
                       });
}

void SeedHeartbeatForwarder::readNext()
{
    if (!m_running || m_reader.state() != RedisConnection::State::Up)
        return;
    m_reading = true;
    m_reader.command({"XREADGROUP", "GROUP", group, m_consumer, "COUNT",
                      QByteArray::number(readCount), "BLOCK", QByteArray::number(blockMs),
                      "STREAMS", seedStream, ">"},
                     [this](const RedisReply &reply) {
                         m_reading = false;
                         if (reply.isError()) {
                             if (reply.toByteArray().startsWith("NOGROUP"))
                                 createGroup();
                             return; // otherwise the connection dropped: Up resumes
                         }
                         forward(parseStreamRead(reply));
                         readNext();
                     });
}

// Each heartbeat goes to its room's shard stream as the seed wrote it, plus `sent`; a many-member
// entry (our own format, written here by hand or by a node without cluster mode) is split by room.
void SeedHeartbeatForwarder::forward(const QList<StreamEntry> &entries)
{
    if (entries.isEmpty())
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    struct Batch {
        QList<QByteArray> ack;
        qsizetype waiting = 1; // the loop's own hold, released below
        bool failed = false;
    };
    auto batch = std::make_shared<Batch>();
    batch->ack = {"XACK", seedStream, group};
    const auto done = [this, batch] {
        if (--batch->waiting > 0)
            return;
        if (!batch->failed && batch->ack.size() > 3)
            m_commands.command(batch->ack);
    };
    for (const StreamEntry &entry : entries) {
        batch->ack.append(entry.rawId);
        QString whyNot;
        const auto heartbeats = parseHeartbeatGroup(entry, &whyNot);
        if (!heartbeats) {
            if (++m_junk <= 10)
                qCWarning(lcForwarder).noquote()
                    << "ignoring heartbeat entry" << entry.rawId << "-" << whyNot;
            continue;
        }
        if (now - heartbeats->atMs > maxAgeMs)
            continue;
        // Members by shard, in one entry per shard (same time, node and TTL).
        QHash<int, QList<const HeartbeatGroup::Member *>> byShard;
        for (const HeartbeatGroup::Member &member : heartbeats->members) {
            // parseHeartbeatGroup checked the name: it parses.
            const auto parsed = RoomMember::fromStoreKey(QString::fromUtf8(member.name));
            byShard[m_shards.shardOf(parsed ? parsed->room : RoomName{})].append(&member);
        }
        for (auto it = byShard.cbegin(); it != byShard.cend(); ++it) {
            QByteArray names, conns;
            for (const HeartbeatGroup::Member *member : it.value()) {
                if (!names.isEmpty()) {
                    names += ' ';
                    conns += ' ';
                }
                names += member->name;
                conns += QByteArray::number(member->connections);
            }
            const QByteArray stream = '{' + m_shards.tag(it.key()) + "}:heartbeat";
            QList<QByteArray> add{"XADD", stream, "*", "members", names, "conns", conns,
                                  "sent", QByteArray::number(heartbeats->atMs)};
            if (!heartbeats->node.isEmpty())
                add << "node" << heartbeats->node;
            if (heartbeats->ttlMs > 0)
                add << "ttl" << QByteArray::number(heartbeats->ttlMs);
            ++batch->waiting;
            m_cluster.commandForKey(add, 1, [this, batch, done](const RedisReply &reply) {
                if (reply.isError()) {
                    if (!batch->failed)
                        qCWarning(lcForwarder).noquote()
                            << "forwarding heartbeats failed (claimed again later):"
                            << reply.toByteArray();
                    batch->failed = true;
                } else {
                    ++m_forwarded;
                }
                done();
            });
        }
    }
    done();
}

// A dead node's unacknowledged entries (and ours whose forward failed) are forwarded again.
void SeedHeartbeatForwarder::claimPending()
{
    if (!m_running || m_commands.state() != RedisConnection::State::Up)
        return;
    m_commands.command({"XAUTOCLAIM", seedStream, group, m_consumer,
                        QByteArray::number(claimIdleMs), "0-0", "COUNT",
                        QByteArray::number(readCount)},
                       [this](const RedisReply &reply) {
                           if (!reply.isError())
                               forward(parseStreamEntries(reply.elements().value(1)));
                       });
    // The stream is trimmed by age: nothing older can change anything (maxAgeMs).
    const qint64 oldest = QDateTime::currentMSecsSinceEpoch() - 2 * maxAgeMs;
    m_commands.command({"XTRIM", seedStream, "MINID", "~", QByteArray::number(oldest)});
}

} // namespace presence
