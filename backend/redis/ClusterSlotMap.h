#pragma once

#include "redis/RedisReply.h"
#include "redis/RedisUrl.h"

#include <QList>
#include <QString>
#include <array>
#include <optional>

namespace presence {

// Which primary serves each of a Redis Cluster's 16,384 slots, as CLUSTER SHARDS (Redis 7.0)
// tells it, with each shard's replicas and the nodes' health for the dashboard. A MOVED reply
// updates one slot at once (assign()); the whole map is then asked for again.
class ClusterSlotMap {
public:
    using Address = RedisUrl::HostPort;

    struct Node {
        QString id;
        Address address;
        bool primary = false;
        QString health; // "online", "failed", "loading"
        qint64 replicationOffset = 0;
        friend bool operator==(const Node &, const Node &) = default;
    };
    struct SlotRange {
        int first = 0;
        int last = 0; // inclusive
        friend bool operator==(const SlotRange &, const SlotRange &) = default;
    };
    struct Shard {
        QList<SlotRange> slots;
        std::optional<Node> primary; // none while a shard has lost it and not promoted another
        QList<Node> replicas;
        int slotCount() const;
        friend bool operator==(const Shard &, const Shard &) = default;
    };

    ClusterSlotMap();

    // The map from a CLUSTER SHARDS reply; nullopt and a sentence in *whyNot when the reply is
    // not one. With `tls` the nodes' "tls-port" is the address to use (plain "port" otherwise);
    // a node whose endpoint is unknown ("?") is reached at its "ip".
    static std::optional<ClusterSlotMap> fromShardsReply(const RedisReply &reply, bool tls,
                                                         QString *whyNot = nullptr);

    std::optional<Address> primaryFor(int slot) const;
    // Every primary that serves at least one slot, in the order of their first slot.
    QList<Address> primaries() const;
    const QList<Shard> &shards() const { return m_shards; }
    // Slots no primary serves (0 on a healthy cluster).
    int uncoveredSlots() const;
    // A MOVED reply: `slot` is now served by `primary`.
    void assign(int slot, const Address &primary);

    friend bool operator==(const ClusterSlotMap &a, const ClusterSlotMap &b)
    {
        return a.m_shards == b.m_shards && a.owners() == b.owners();
    }

private:
    void index();
    qint16 addressIndex(const Address &address);
    QList<std::optional<Address>> owners() const;

    QList<Shard> m_shards;
    QList<Address> m_addresses; // the shards' primaries, then addresses MOVED replies named
    std::array<qint16, 16384> m_owner{}; // per slot: an index into m_addresses, -1: none
};

// The value of `key` in a RESP2 map sent as a flat array (key, value, key, value, …), as
// CLUSTER SHARDS sends its maps; null when absent.
const RedisReply *respMapField(const RedisReply &map, QByteArrayView key);

// "host:port" ("[v6]:port"): one node's name in logs, maps and the dashboard.
QString clusterNodeName(const RedisUrl::HostPort &node);

} // namespace presence
