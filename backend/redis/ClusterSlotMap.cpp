#include "redis/ClusterSlotMap.h"

#include "redis/ClusterKeySlot.h"

#include <algorithm>

namespace presence {

namespace {

bool fail(QString *whyNot, const QString &sentence)
{
    if (whyNot)
        *whyNot = sentence;
    return false;
}

const RedisReply *field(const RedisReply &map, QByteArrayView key)
{
    return respMapField(map, key);
}

QByteArray text(const RedisReply &map, QByteArrayView key)
{
    const RedisReply *value = field(map, key);
    return value ? value->toByteArray() : QByteArray();
}

std::optional<qint64> number(const RedisReply &map, QByteArrayView key)
{
    const RedisReply *value = field(map, key);
    bool ok = false;
    const qint64 n = value ? value->toInteger(&ok) : 0;
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

bool parseNode(const RedisReply &map, bool tls, ClusterSlotMap::Node *node, QString *whyNot)
{
    if (!map.isArray())
        return fail(whyNot, QStringLiteral("a node is not a map"));
    node->id = QString::fromLatin1(text(map, "id"));
    QByteArray host = text(map, "endpoint");
    if (host.isEmpty() || host == "?")
        host = text(map, "ip");
    const auto port = number(map, tls ? "tls-port" : "port");
    if (host.isEmpty() || !port || *port < 1 || *port > 65535) {
        return fail(whyNot, QStringLiteral("node %1 has no usable %2address")
                                .arg(node->id, tls ? QStringLiteral("TLS ") : QString()));
    }
    node->address = {QString::fromLatin1(host), quint16(*port)};
    node->primary = text(map, "role") == "master";
    node->health = QString::fromLatin1(text(map, "health"));
    node->replicationOffset = number(map, "replication-offset").value_or(0);
    return true;
}

bool parseShard(const RedisReply &map, bool tls, ClusterSlotMap::Shard *shard, QString *whyNot)
{
    const RedisReply *slots = field(map, "slots");
    const RedisReply *nodes = field(map, "nodes");
    if (!map.isArray() || !slots || !nodes || !slots->isArray() || !nodes->isArray())
        return fail(whyNot, QStringLiteral("a shard lacks \"slots\" or \"nodes\""));
    const QList<RedisReply> &bounds = slots->elements();
    if (bounds.size() % 2 != 0)
        return fail(whyNot, QStringLiteral("a shard's slots are not pairs"));
    for (qsizetype i = 0; i < bounds.size(); i += 2) {
        bool firstOk = false;
        bool lastOk = false;
        const qint64 first = bounds[i].toInteger(&firstOk);
        const qint64 last = bounds[i + 1].toInteger(&lastOk);
        if (!firstOk || !lastOk || first < 0 || last < first || last >= clusterSlotCount)
            return fail(whyNot, QStringLiteral("a shard has a malformed slot range"));
        shard->slots.append({int(first), int(last)});
    }
    for (const RedisReply &nodeMap : nodes->elements()) {
        ClusterSlotMap::Node node;
        if (!parseNode(nodeMap, tls, &node, whyNot))
            return false;
        // A failed primary still owns its slots until a replica is promoted: keep it, the
        // connection to it reports the failure.
        if (node.primary && !shard->primary)
            shard->primary = node;
        else
            shard->replicas.append(node);
    }
    return true;
}

} // namespace

const RedisReply *respMapField(const RedisReply &map, QByteArrayView key)
{
    const QList<RedisReply> &items = map.elements();
    for (qsizetype i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].toByteArray() == key)
            return &items[i + 1];
    }
    return nullptr;
}

QString clusterNodeName(const RedisUrl::HostPort &node)
{
    return (node.host.contains(u':') ? u'[' + node.host + u']' : node.host) + u':' +
           QString::number(node.port);
}

int ClusterSlotMap::Shard::slotCount() const
{
    int count = 0;
    for (const SlotRange &range : slots)
        count += range.last - range.first + 1;
    return count;
}

ClusterSlotMap::ClusterSlotMap()
{
    m_owner.fill(-1);
}

std::optional<ClusterSlotMap> ClusterSlotMap::fromShardsReply(const RedisReply &reply, bool tls,
                                                              QString *whyNot)
{
    if (reply.isError()) {
        fail(whyNot, QStringLiteral("CLUSTER SHARDS failed: %1")
                         .arg(QString::fromUtf8(reply.toByteArray())));
        return std::nullopt;
    }
    if (!reply.isArray()) {
        fail(whyNot, QStringLiteral("CLUSTER SHARDS did not answer with a list"));
        return std::nullopt;
    }
    ClusterSlotMap map;
    for (const RedisReply &shardMap : reply.elements()) {
        Shard shard;
        if (!parseShard(shardMap, tls, &shard, whyNot))
            return std::nullopt;
        map.m_shards.append(std::move(shard));
    }
    map.index();
    return map;
}

void ClusterSlotMap::index()
{
    m_owner.fill(-1);
    m_addresses.clear();
    for (const Shard &shard : std::as_const(m_shards)) {
        if (!shard.primary)
            continue;
        const qint16 owner = addressIndex(shard.primary->address);
        for (const SlotRange &range : shard.slots) {
            for (int slot = range.first; slot <= range.last; ++slot)
                m_owner[size_t(slot)] = owner;
        }
    }
}

qint16 ClusterSlotMap::addressIndex(const Address &address)
{
    const qsizetype known = m_addresses.indexOf(address);
    if (known >= 0)
        return qint16(known);
    m_addresses.append(address);
    return qint16(m_addresses.size() - 1);
}

QList<std::optional<ClusterSlotMap::Address>> ClusterSlotMap::owners() const
{
    QList<std::optional<Address>> result;
    result.reserve(clusterSlotCount);
    for (int slot = 0; slot < clusterSlotCount; ++slot)
        result.append(primaryFor(slot));
    return result;
}

std::optional<ClusterSlotMap::Address> ClusterSlotMap::primaryFor(int slot) const
{
    if (slot < 0 || slot >= clusterSlotCount)
        return std::nullopt;
    const qint16 owner = m_owner[size_t(slot)];
    if (owner < 0)
        return std::nullopt;
    return m_addresses[owner];
}

QList<ClusterSlotMap::Address> ClusterSlotMap::primaries() const
{
    QList<Address> found;
    QList<bool> seen(m_addresses.size(), false);
    for (const qint16 owner : m_owner) {
        if (owner >= 0 && !seen[owner]) {
            seen[owner] = true;
            found.append(m_addresses[owner]);
        }
    }
    return found;
}

int ClusterSlotMap::uncoveredSlots() const
{
    return int(std::count(m_owner.begin(), m_owner.end(), qint16(-1)));
}

void ClusterSlotMap::assign(int slot, const Address &primary)
{
    if (slot < 0 || slot >= clusterSlotCount || m_addresses.size() >= 16384)
        return;
    m_owner[size_t(slot)] = addressIndex(primary);
}

} // namespace presence
