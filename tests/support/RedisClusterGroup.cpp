#include "RedisClusterGroup.h"

#include "FreePort.h"
#include "redis/ClusterSlotMap.h"
#include "redis/RespProtocol.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

namespace presence::test {

namespace {

const RedisReply *field(const RedisReply &map, QByteArrayView key)
{
    return respMapField(map, key);
}

// "slot owner" pairs of CLUSTER SHARDS: for each shard with a primary, its port and ranges.
struct ShardView {
    quint16 primary = 0;
    QList<quint16> replicas;
    QList<std::pair<int, int>> ranges;
};

QList<ShardView> shardsOf(quint16 port)
{
    QList<ShardView> shards;
    const RedisReply reply = askNode(port, {"CLUSTER", "SHARDS"});
    for (const RedisReply &shard : reply.elements()) {
        ShardView view;
        const RedisReply *slots = field(shard, "slots");
        const RedisReply *nodes = field(shard, "nodes");
        if (!slots || !nodes)
            continue;
        for (qsizetype i = 0; i + 1 < slots->elements().size(); i += 2)
            view.ranges.append({int(slots->elements()[i].toInteger()), int(slots->elements()[i + 1].toInteger())});
        for (const RedisReply &node : nodes->elements()) {
            const RedisReply *role = field(node, "role");
            const RedisReply *nodePort = field(node, "port");
            const RedisReply *health = field(node, "health");
            if (!role || !nodePort)
                continue;
            const auto p = quint16(nodePort->toInteger());
            if (role->toByteArray() == "master" && health && health->toByteArray() == "online")
                view.primary = p;
            else if (role->toByteArray() != "master")
                view.replicas.append(p);
        }
        shards.append(view);
    }
    return shards;
}

QString redisCli()
{
    return QStandardPaths::findExecutable(QStringLiteral("redis-cli"));
}

} // namespace

RedisReply askNode(quint16 port, const QList<QByteArray> &argv, int timeoutMs)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return RedisReply::error("TEST cannot connect to port " + QByteArray::number(port));
    QByteArray request;
    appendRespCommand(request, argv);
    socket.write(request);
    RespReader reader;
    const QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        RedisReply reply;
        switch (reader.next(&reply)) {
        case RespReader::Result::Reply:
            return reply;
        case RespReader::Result::ProtocolError:
            return RedisReply::error("TEST protocol error: " + reader.error().toUtf8());
        case RespReader::Result::NeedMore:
            break;
        }
        if (!socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            break;
        const QByteArray bytes = socket.readAll();
        reader.feed(bytes.constData(), bytes.size());
    }
    return RedisReply::error("TEST no reply from port " + QByteArray::number(port));
}

RedisClusterGroup::RedisClusterGroup(int primaries, int replicasEach, int nodeTimeoutMs)
    : m_primaries(primaries)
    , m_replicasEach(replicasEach)
    , m_nodeTimeoutMs(nodeTimeoutMs)
{
}

RedisClusterGroup::~RedisClusterGroup()
{
    if (m_reshard && m_reshard->state() != QProcess::NotRunning) {
        m_reshard->kill();
        m_reshard->waitForFinished(5000);
    }
}

bool RedisClusterGroup::fail(const QString &why)
{
    m_error = why;
    return false;
}

bool RedisClusterGroup::start()
{
    if (redisCli().isEmpty())
        return fail(QStringLiteral("redis-cli not found (install the redis-tools package)"));
    const int total = m_primaries * (1 + m_replicasEach);
    QStringList addresses;
    for (int i = 0; i < total; ++i) {
        // The bus port is given: the default (port + 10000) may lie above 65535. Redis 7 waits
        // repl-diskless-sync-delay (5 s) for more replicas before a full sync; a replica that
        // rejoins after a kill has no company to wait for.
        auto node = std::make_unique<RedisTestServer>(
            QStringList{QStringLiteral("--repl-diskless-sync-delay"), QStringLiteral("0"),
                        QStringLiteral("--cluster-enabled"), QStringLiteral("yes"),
                        QStringLiteral("--cluster-port"), QString::number(freeLoopbackPort()),
                        QStringLiteral("--cluster-node-timeout"), QString::number(m_nodeTimeoutMs),
                        QStringLiteral("--cluster-require-full-coverage"), QStringLiteral("yes")});
        if (!node->start())
            return fail(QStringLiteral("node %1: %2").arg(i).arg(node->errorString()));
        addresses.append(QStringLiteral("127.0.0.1:%1").arg(node->port()));
        m_nodes.push_back(std::move(node));
    }
    QProcess create;
    create.setProcessChannelMode(QProcess::MergedChannels);
    create.start(redisCli(), QStringList{QStringLiteral("--cluster"), QStringLiteral("create")} +
                                 addresses +
                                 QStringList{QStringLiteral("--cluster-replicas"),
                                             QString::number(m_replicasEach),
                                             QStringLiteral("--cluster-yes")});
    if (!create.waitForFinished(60000) || create.exitCode() != 0) {
        return fail(QStringLiteral("redis-cli --cluster create failed: %1")
                        .arg(QString::fromUtf8(create.readAll().right(2000))));
    }
    if (!waitForHealthy(30000))
        return false;
    // Every replica attached: each shard lists its replicas as online.
    const bool attached = QTest::qWaitFor([this] {
        int replicas = 0;
        const RedisReply shards = askNode(node(0).port(), {"CLUSTER", "SHARDS"});
        for (const RedisReply &shard : shards.elements()) {
            const RedisReply *nodes = field(shard, "nodes");
            for (const RedisReply &n : nodes ? nodes->elements() : QList<RedisReply>()) {
                const RedisReply *role = field(n, "role");
                const RedisReply *health = field(n, "health");
                replicas += role && role->toByteArray() == "replica" && health &&
                            health->toByteArray() == "online";
            }
        }
        return replicas == m_primaries * m_replicasEach;
    }, 30000);
    return attached || fail(QStringLiteral("the replicas did not attach within 30 s"));
}

RedisUrl RedisClusterGroup::seedsUrl() const
{
    return *RedisUrl::parse(seedsText());
}

QString RedisClusterGroup::seedsText() const
{
    return QStringLiteral("redis://127.0.0.1:%1,127.0.0.1:%2")
        .arg(m_nodes.at(0)->port())
        .arg(m_nodes.at(1)->port());
}

QString RedisClusterGroup::allNodesText() const
{
    QStringList addresses;
    for (const auto &node : m_nodes)
        addresses.append(QStringLiteral("127.0.0.1:%1").arg(node->port()));
    return QStringLiteral("redis://") + addresses.join(u',');
}

RedisTestServer *RedisClusterGroup::nodeOnPort(quint16 port)
{
    for (auto &node : m_nodes) {
        if (node->port() == port)
            return node.get();
    }
    return nullptr;
}

std::optional<quint16> RedisClusterGroup::anyLivePort()
{
    for (auto &node : m_nodes) {
        if (node->isRunning())
            return node->port();
    }
    return std::nullopt;
}

QList<quint16> RedisClusterGroup::primaryPorts()
{
    QList<quint16> ports;
    const auto live = anyLivePort();
    for (const ShardView &shard : live ? shardsOf(*live) : QList<ShardView>()) {
        if (shard.primary != 0 && !shard.ranges.isEmpty())
            ports.append(shard.primary);
    }
    return ports;
}

std::optional<quint16> RedisClusterGroup::primaryOfSlot(int slot)
{
    const auto live = anyLivePort();
    for (const ShardView &shard : live ? shardsOf(*live) : QList<ShardView>()) {
        for (const auto &[first, last] : shard.ranges) {
            if (slot >= first && slot <= last && shard.primary != 0)
                return shard.primary;
        }
    }
    return std::nullopt;
}

std::optional<quint16> RedisClusterGroup::replicaOf(quint16 primaryPort)
{
    const auto live = anyLivePort();
    for (const ShardView &shard : live ? shardsOf(*live) : QList<ShardView>()) {
        if (shard.primary == primaryPort && !shard.replicas.isEmpty())
            return shard.replicas.first();
    }
    return std::nullopt;
}

QByteArray RedisClusterGroup::nodeId(quint16 port)
{
    return askNode(port, {"CLUSTER", "MYID"}).toByteArray();
}

std::optional<int> RedisClusterGroup::aSlotOf(quint16 primaryPort)
{
    const auto live = anyLivePort();
    for (const ShardView &shard : live ? shardsOf(*live) : QList<ShardView>()) {
        if (shard.primary == primaryPort && !shard.ranges.isEmpty())
            return shard.ranges.first().first;
    }
    return std::nullopt;
}

bool RedisClusterGroup::replicaInSync(quint16 replicaPort, quint16 primaryPort)
{
    // A replica's ROLE: "slave", the primary's host and port, the link's state, its offset.
    const QList<RedisReply> role = askNode(replicaPort, {"ROLE"}).elements();
    return role.size() >= 4 && role[0].toByteArray() == "slave" &&
           role[2].toInteger() == primaryPort && role[3].toByteArray() == "connected";
}

bool RedisClusterGroup::restart(quint16 port)
{
    RedisTestServer *node = nodeOnPort(port);
    if (!node)
        return fail(QStringLiteral("no node on port %1").arg(port));
    return node->restart() || fail(node->errorString());
}

bool RedisClusterGroup::kill9(quint16 port)
{
    RedisTestServer *node = nodeOnPort(port);
    if (!node)
        return fail(QStringLiteral("no node on port %1").arg(port));
    return node->kill9() || fail(node->errorString());
}

bool RedisClusterGroup::isHealthy(QString *why)
{
    QString ignored;
    QString &last = why ? *why : ignored;
    QList<QList<std::pair<int, int>>> views;
    for (auto &node : m_nodes) {
        if (!node->isRunning())
            continue;
        const RedisReply info = askNode(node->port(), {"CLUSTER", "INFO"});
        if (!info.toByteArray().contains("cluster_state:ok")) {
            last = QStringLiteral("port %1 not ok").arg(node->port());
            return false;
        }
        QList<std::pair<int, int>> owners; // (first slot, primary) per range, sorted
        int covered = 0;
        for (const ShardView &shard : shardsOf(node->port())) {
            for (const auto &[first, lastSlot] : shard.ranges) {
                if (shard.primary == 0)
                    continue;
                owners.append({first, shard.primary});
                covered += lastSlot - first + 1;
            }
        }
        if (covered != 16384) {
            last = QStringLiteral("port %1 covers %2 slots").arg(node->port()).arg(covered);
            return false;
        }
        std::sort(owners.begin(), owners.end());
        views.append(owners);
    }
    for (const auto &view : views) {
        if (view != views.first()) {
            last = QStringLiteral("the nodes disagree about the slots");
            return false;
        }
    }
    return !views.isEmpty();
}

bool RedisClusterGroup::waitForHealthy(int timeoutMs)
{
    QString last;
    const bool healthy = QTest::qWaitFor([&] { return isHealthy(&last); }, timeoutMs);
    return healthy || fail(QStringLiteral("the cluster did not become healthy within %1 ms: %2")
                               .arg(timeoutMs)
                               .arg(last));
}

QProcess *RedisClusterGroup::startReshard(quint16 fromPort, quint16 toPort, int slots)
{
    m_reshard = std::make_unique<QProcess>();
    m_reshard->setProcessChannelMode(QProcess::MergedChannels);
    m_reshard->start(redisCli(),
                     {QStringLiteral("--cluster"), QStringLiteral("reshard"),
                      QStringLiteral("127.0.0.1:%1").arg(fromPort),
                      QStringLiteral("--cluster-from"), QString::fromLatin1(nodeId(fromPort)),
                      QStringLiteral("--cluster-to"), QString::fromLatin1(nodeId(toPort)),
                      QStringLiteral("--cluster-slots"), QString::number(slots),
                      QStringLiteral("--cluster-pipeline"), QStringLiteral("10"),
                      QStringLiteral("--cluster-yes")});
    return m_reshard.get();
}

bool RedisClusterGroup::reshard(quint16 fromPort, quint16 toPort, int slots, int timeoutMs)
{
    QProcess *process = startReshard(fromPort, toPort, slots);
    if (!QTest::qWaitFor([process] { return process->state() == QProcess::NotRunning; }, timeoutMs))
        return fail(QStringLiteral("redis-cli --cluster reshard did not finish"));
    return process->exitCode() == 0 ||
           fail(QStringLiteral("reshard failed: %1").arg(QString::fromUtf8(process->readAll().right(2000))));
}

} // namespace presence::test
