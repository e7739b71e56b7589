// presence --observe on a real Redis Cluster (three primaries, a replica each): through a node,
// the observer is told the members of every shard (the node reads each shard while its feed is
// watched, a shard none of its sessions is in too); through the cluster's Redis itself, which an
// observer cannot read, it stops at once and names the way that works.
#include "ClusterRooms.h"
#include "NodeProcess.h"
#include "ObserverProcess.h"
#include "RedisClusterGroup.h"
#include "SseTestClient.h"
#include "HttpGet.h"
#include "redis/ClusterKeySlot.h"
#include "redis/ClusterShards.h"

#include <QFile>
#include <QTest>
#include <memory>

using namespace presence;
using presence::test::askNode;
using presence::test::roomInShard;
using presence::test::httpGet;
using presence::test::isChange;
using presence::test::NodeProcess;
using presence::test::ObserverProcess;
using presence::test::RedisClusterGroup;
using presence::test::SseTestClient;

namespace {
// The first room "<prefix><n>" in shard `shard` of the engine's 16.
// A line about `client` in `room` with `status`, roster row or change.
std::function<bool(const QJsonObject &)> isMember(const QString &client, const QByteArray &room,
                                                  const QString &status)
{
    return [=](const QJsonObject &line) {
        return line.value(QStringLiteral("client")).toString() == client &&
               line.value(QStringLiteral("room")).toString() == QString::fromUtf8(room) &&
               line.value(QStringLiteral("status")).toString() == status;
    };
}
} // namespace

class TestObserverCluster : public QObject {
    Q_OBJECT

    std::unique_ptr<RedisClusterGroup> m_group;
    NodeProcess m_node;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        m_group = std::make_unique<RedisClusterGroup>();
        QVERIFY2(m_group->start(), qPrintable(m_group->errorString()));
        QVERIFY2(m_node.start({QStringLiteral("--redis"), m_group->seedsText(), QStringLiteral("--node-id"),
                               QStringLiteral("node-a"), QStringLiteral("--heartbeat"),
                               QStringLiteral("300ms"), QStringLiteral("--grace"), QStringLiteral("0s")}),
                 m_node.log().constData());
        QVERIFY(QTest::qWaitFor(
            [&] { return httpGet(m_node.port(), QStringLiteral("/health")).status == 200; }, 20000));
    }

    void throughANodeEveryShardIsWatched()
    {
        const QByteArray first = roomInShard(ClusterShards(16), 4, QStringLiteral("watch-a-")).toUtf8();
        const QByteArray second = roomInShard(ClusterShards(16), 12, QStringLiteral("watch-b-")).toUtf8();
        SseTestClient alice, bob;
        alice.open(m_node.port(), "/alice?room=" + first);
        bob.open(m_node.port(), "/bob?room=" + second);
        QVERIFY(alice.waitForHeaders() && bob.waitForHeaders());

        ObserverProcess observer;
        observer.start({QStringLiteral("http://127.0.0.1:%1").arg(m_node.port()),
                        QStringLiteral("--headless")});
        QVERIFY2(observer.waitForLine(isMember(QStringLiteral("alice"), first, QStringLiteral("ONLINE"))),
                 observer.stderrText().right(2000).constData());
        QVERIFY(observer.waitForLine(isMember(QStringLiteral("bob"), second, QStringLiteral("ONLINE"))));
        // A shard no session of the node is in (the default room's): a client heartbeating the
        // seed's way, with no session anywhere, is told as it comes online there.
        const auto primary = m_group->primaryOfSlot(clusterKeySlot("heartbeat"));
        QVERIFY(primary);
        QVERIFY(askNode(*primary, {"XADD", "heartbeat", "*", "client", "zed"}).isString());
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("zed"), QStringLiteral("ONLINE"))),
                 m_node.log().right(2000).constData());
        bob.disconnectGracefully();
        QVERIFY(observer.waitForLine(isChange(QStringLiteral("bob"), QStringLiteral("OFFLINE"))));
        observer.terminate();
        QCOMPARE(observer.waitForExit(), 0);
    }

    // Through Redis: the seeds of the cluster, or one of its nodes (told by its redirects).
    void throughTheClustersRedisIsRefusedWithTheWayThatWorks_data()
    {
        QTest::addColumn<QString>("redis");
        QTest::newRow("seeds") << m_group->seedsText();
        // Each primary alone: whichever slots it serves, some of the roster's keys are not its.
        for (const quint16 port : m_group->primaryPorts())
            QTest::newRow(qPrintable(QStringLiteral("one node, :%1").arg(port)))
                << QStringLiteral("redis://127.0.0.1:%1").arg(port);
    }
    void throughTheClustersRedisIsRefusedWithTheWayThatWorks()
    {
        QFETCH(QString, redis);
        ObserverProcess observer;
        observer.start({QStringLiteral("--headless"), QStringLiteral("--redis"), redis});
        QCOMPARE(observer.waitForExit(15000), 1);
        const QByteArray said = observer.stderrText();
        QVERIFY2(said.contains("is a Redis Cluster") && said.contains("--observe http://"), said.constData());
    }
};

QTEST_GUILESS_MAIN(TestObserverCluster)
#include "tst_observer_cluster.moc"
