#pragma once

#include "RedisTestServer.h"
#include "redis/RedisReply.h"
#include "redis/RedisUrl.h"

#include <QList>
#include <memory>
#include <optional>
#include <vector>

namespace presence::test {

// A real Redis Cluster on loopback: `primaries` primaries with `replicasEach` replicas each
// (redis-server --cluster-enabled yes, joined by redis-cli --cluster create), node timeout
// `nodeTimeoutMs` so a killed primary's replica takes over in a few seconds. start() returns
// once every node reports cluster_state:ok and every replica is attached; false with
// errorString() otherwise, so a test fails, never skips.
class RedisClusterGroup {
public:
    explicit RedisClusterGroup(int primaries = 3, int replicasEach = 1, int nodeTimeoutMs = 1000);
    ~RedisClusterGroup();
    RedisClusterGroup(const RedisClusterGroup &) = delete;
    RedisClusterGroup &operator=(const RedisClusterGroup &) = delete;

    bool start();
    QString errorString() const { return m_error; }

    // redis://127.0.0.1:P0,127.0.0.1:P1 (two seeds)
    RedisUrl seedsUrl() const;
    QString seedsText() const;
    // redis://… naming every node: a client given it finds a live seed whichever node is down.
    QString allNodesText() const;
    int nodeCount() const { return int(m_nodes.size()); }
    RedisTestServer &node(int index) { return *m_nodes[size_t(index)]; }
    RedisTestServer *nodeOnPort(quint16 port);

    // Asked of a live node now.
    QList<quint16> primaryPorts();
    std::optional<quint16> primaryOfSlot(int slot);
    std::optional<quint16> replicaOf(quint16 primaryPort);
    QByteArray nodeId(quint16 port);

    // One slot the primary on `primaryPort` serves, asked of a live node now.
    std::optional<int> aSlotOf(quint16 primaryPort);
    // ROLE of the node on `replicaPort`: a replica of `primaryPort`, its link up and synced.
    bool replicaInSync(quint16 replicaPort, quint16 primaryPort);

    bool kill9(quint16 port);
    // A killed node back on its port, its nodes.conf kept (persistence is off, so it comes back
    // empty): it rejoins with its own id, and a node whose slots were taken over meanwhile
    // turns into a replica of the node that took them.
    bool restart(quint16 port);
    // Every live node says cluster_state:ok and names the same primary for every slot: now
    // (why not in `why`), or within `timeoutMs`.
    bool isHealthy(QString *why = nullptr);
    bool waitForHealthy(int timeoutMs);
    // redis-cli --cluster reshard: `slots` slots from one primary to another, keys included.
    // Blocking; see startReshard() for one that runs while the test does other things.
    bool reshard(quint16 fromPort, quint16 toPort, int slots, int timeoutMs = 60000);
    QProcess *startReshard(quint16 fromPort, quint16 toPort, int slots);

private:
    bool fail(const QString &why);
    std::optional<quint16> anyLivePort();

    int m_primaries;
    int m_replicasEach;
    int m_nodeTimeoutMs;
    std::vector<std::unique_ptr<RedisTestServer>> m_nodes;
    std::unique_ptr<QProcess> m_reshard;
    QString m_error;
};

// One command on a fresh TCP connection, parsed; an Error reply ("TEST …") when none came.
// For setting up and checking test servers, not for the code under test.
RedisReply askNode(quint16 port, const QList<QByteArray> &argv, int timeoutMs = 2000);

} // namespace presence::test
