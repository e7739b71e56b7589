// The pure parts of the cluster client: key slots (checked against values CLUSTER KEYSLOT of
// Redis 7.0.15 gave), redirect replies, and the slot map read from a CLUSTER SHARDS reply.
// tst_redis_cluster checks them against a real cluster too.
#include "redis/ClusterKeySlot.h"
#include "redis/ClusterRedirect.h"
#include "redis/ClusterShards.h"
#include "redis/ClusterSlotMap.h"

#include <QTest>

using namespace presence;

namespace {

RedisReply str(const char *text)
{
    return RedisReply::string(QByteArray(text));
}

RedisReply node(const char *id, qint64 port, const char *role, const char *health = "online",
                std::optional<qint64> tlsPort = std::nullopt, const char *endpoint = "127.0.0.1")
{
    QList<RedisReply> fields = {str("id"), str(id), str("port"), RedisReply::integer(port),
                                str("ip"), str("10.0.0.9"), str("endpoint"), str(endpoint),
                                str("role"), str(role), str("replication-offset"),
                                RedisReply::integer(42), str("health"), str(health)};
    if (tlsPort)
        fields += {str("tls-port"), RedisReply::integer(*tlsPort)};
    return RedisReply::array(fields);
}

RedisReply shard(QList<qint64> bounds, QList<RedisReply> nodes)
{
    QList<RedisReply> slots;
    for (qint64 bound : bounds)
        slots.append(RedisReply::integer(bound));
    return RedisReply::array({str("slots"), RedisReply::array(slots), str("nodes"),
                              RedisReply::array(nodes)});
}

} // namespace

class TestClusterSlots : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keySlots_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<int>("slot");
        QTest::newRow("plain") << QByteArray("123456789") << 12739;
        QTest::newRow("foo") << QByteArray("foo") << 12182;
        QTest::newRow("tag") << QByteArray("{user1000}.following") << 3443;
        QTest::newRow("tag alone") << QByteArray("user1000") << 3443;
        QTest::newRow("empty tag first") << QByteArray("foo{}{bar}") << 8363;
        QTest::newRow("nested") << QByteArray("foo{{bar}}zap") << 4015;
        QTest::newRow("no close") << QByteArray("{foo") << int(clusterKeySlot("{foo"));
        QTest::newRow("empty") << QByteArray() << 0;
    }
    void keySlots()
    {
        QFETCH(QByteArray, key);
        QFETCH(int, slot);
        QCOMPARE(int(clusterKeySlot(key)), slot);
    }

    void redirects()
    {
        auto moved = ClusterRedirect::fromReply(RedisReply::error("MOVED 3999 127.0.0.1:6381"));
        QVERIFY(moved);
        QCOMPARE(moved->kind, ClusterRedirect::Kind::Moved);
        QCOMPARE(moved->slot, 3999);
        QCOMPARE(moved->address, (RedisUrl::HostPort{QStringLiteral("127.0.0.1"), 6381}));
        auto ask = ClusterRedirect::fromReply(RedisReply::error("ASK 1 ::1:7000"));
        QVERIFY(ask);
        QCOMPARE(ask->kind, ClusterRedirect::Kind::Ask);
        QCOMPARE(ask->address, (RedisUrl::HostPort{QStringLiteral("::1"), 7000}));
        QCOMPARE(ClusterRedirect::fromReply(RedisReply::error("TRYAGAIN Multiple keys request during rehashing of slot"))->kind,
                 ClusterRedirect::Kind::TryAgain);
        QCOMPARE(ClusterRedirect::fromReply(RedisReply::error("CLUSTERDOWN The cluster is down"))->kind,
                 ClusterRedirect::Kind::ClusterDown);
        // Anything else is the command's own answer, passed on as it is.
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("WRONGTYPE Operation against a key")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::string("MOVED 1 a:1")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("MOVED 99999 a:1")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("MOVED x a:1")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("MOVED 1 a:0")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("MOVED 1")));
        QVERIFY(!ClusterRedirect::fromReply(RedisReply::error("ASK")));

        // What only a cluster node says (the observer refuses to watch one through Redis).
        for (const char *said : {"MOVED 3999 127.0.0.1:6381", "ASK 1 ::1:7000", "TRYAGAIN later",
                                 "CLUSTERDOWN The cluster is down",
                                 "CROSSSLOT Keys in request don't hash to the same slot"})
            QVERIFY2(ClusterRedirect::isFromCluster(said), said);
        for (const char *said : {"WRONGTYPE Operation against a key", "NOPERM", "ERR unknown command",
                                 "ASKING", ""})
            QVERIFY2(!ClusterRedirect::isFromCluster(said), said);
    }

    void slotMapFromShards()
    {
        const RedisReply reply = RedisReply::array(
            {shard({0, 5460}, {node("a", 7001, "master"), node("d", 7004, "replica", "loading")}),
             shard({5461, 10922, 16000, 16383},
                   {node("e", 7005, "replica"), node("b", 7002, "master")}),
             shard({10923, 15999}, {node("c", 7003, "master", "failed", std::nullopt, "?")})});
        QString why;
        const auto map = ClusterSlotMap::fromShardsReply(reply, false, &why);
        QVERIFY2(map, qPrintable(why));
        QCOMPARE(map->uncoveredSlots(), 0);
        const RedisUrl::HostPort a{QStringLiteral("127.0.0.1"), 7001};
        const RedisUrl::HostPort b{QStringLiteral("127.0.0.1"), 7002};
        const RedisUrl::HostPort c{QStringLiteral("10.0.0.9"), 7003}; // endpoint "?": the ip
        QCOMPARE(map->primaryFor(0), a);
        QCOMPARE(map->primaryFor(5460), a);
        QCOMPARE(map->primaryFor(5461), b);
        QCOMPARE(map->primaryFor(16383), b);
        QCOMPARE(map->primaryFor(12000), c);
        QVERIFY(!map->primaryFor(-1));
        QVERIFY(!map->primaryFor(16384));
        QCOMPARE(map->primaries(), (QList<RedisUrl::HostPort>{a, b, c}));
        QCOMPARE(map->shards().size(), 3);
        QCOMPARE(map->shards()[1].slotCount(), 5462 + 384);
        QCOMPARE(map->shards()[0].replicas.size(), 1);
        QCOMPARE(map->shards()[0].replicas[0].health, QStringLiteral("loading"));
        QCOMPARE(map->shards()[2].primary->health, QStringLiteral("failed"));

        ClusterSlotMap moved = *map;
        moved.assign(100, b);
        QCOMPARE(moved.primaryFor(100), b);
        QCOMPARE(moved.primaryFor(101), a);
        QVERIFY(!(moved == *map));
    }

    void slotMapOverTls()
    {
        const RedisReply reply = RedisReply::array(
            {shard({0, 16383}, {node("a", 7001, "master", "online", 8001)})});
        const auto map = ClusterSlotMap::fromShardsReply(reply, true);
        QVERIFY(map);
        QCOMPARE(map->primaryFor(5)->port, quint16(8001));
        // A TLS client meeting a node without a TLS port says so instead of trying plaintext.
        QString why;
        QVERIFY(!ClusterSlotMap::fromShardsReply(
            RedisReply::array({shard({0, 16383}, {node("a", 7001, "master")})}), true, &why));
        QVERIFY2(why.contains(QStringLiteral("TLS")), qPrintable(why));
    }

    void slotMapGaps()
    {
        const auto map = ClusterSlotMap::fromShardsReply(
            RedisReply::array({shard({0, 99}, {node("a", 7001, "master")}),
                               shard({100, 200}, {node("r", 7004, "replica")})}),
            false);
        QVERIFY(map);
        QCOMPARE(map->uncoveredSlots(), 16384 - 100);
        QVERIFY(!map->primaryFor(150)); // a shard without a primary serves nothing
    }

    void shardTagsSpreadOverTheSlotRange()
    {
        const ClusterShards shards(32);
        QCOMPARE(shards.count(), 32);
        QCOMPARE(shards.tag(0), QByteArray("presence")); // the seed's `presence` stream's slot
        QCOMPARE(shards.slot(0), int(clusterKeySlot("presence")));
        QCOMPARE(int(clusterKeySlot("{presence}:status")), shards.slot(0));
        for (int shard = 1; shard < shards.count(); ++shard) {
            // Room shard i in the i-th of 31 equal parts.
            QVERIFY(shards.slot(shard) >= (shard - 1) * 16384 / 31);
            QVERIFY(shards.slot(shard) < shard * 16384 / 31);
            QCOMPARE(int(clusterKeySlot("{" + shards.tag(shard) + "}:deadlines")), shards.slot(shard));
        }
        // 16 primaries splitting the range evenly: naive tags "{0}" … "{31}" leave 8 of them
        // without a shard (Centrifugo's finding); these tags leave none.
        QList<int> naive(16, 0);
        QList<int> ours(16, 0);
        for (int i = 0; i < 32; ++i) {
            ++naive[clusterKeySlot(QByteArray::number(i)) * 16 / 16384];
            ++ours[shards.slot(i) * 16 / 16384];
        }
        QCOMPARE(naive.count(0), 8);
        QCOMPARE(ours.count(0), 0);

        // Three primaries splitting the range evenly (as redis-cli does) serve 9 to 12 each.
        const auto map = ClusterSlotMap::fromShardsReply(
            RedisReply::array({shard({0, 5460}, {node("a", 7001, "master")}),
                               shard({5461, 10922}, {node("b", 7002, "master")}),
                               shard({10923, 16383}, {node("c", 7003, "master")})}),
            false);
        QVERIFY(map);
        const QMap<QString, int> spread = shards.perPrimary(*map);
        QCOMPARE(spread.size(), 3);
        for (const int count : spread)
            QVERIFY2(count >= 10 && count <= 12, qPrintable(QString::number(count)));
        // The engine's 16: five room shards each, the default room's on top (5/5/6).
        const QMap<QString, int> engineSpread = ClusterShards(16).perPrimary(*map);
        QCOMPARE(engineSpread.values(), (QList<int>{5, 5, 6}));
    }

    void roomsSpreadOverTheShards()
    {
        const ClusterShards shards(16);
        QCOMPARE(shards.shardOf(RoomName()), 0);
        const RoomName lobby = *RoomName::fromString(QStringLiteral("lobby"));
        QCOMPARE(shards.shardOf(lobby), ClusterShards(16).shardOf(lobby)); // stable
        QList<int> counts(16, 0);
        for (int i = 0; i < 15000; ++i)
            ++counts[shards.shardOf(*RoomName::fromString(QStringLiteral("room-%1").arg(i)))];
        QCOMPARE(counts[0], 0); // the default room's shard holds the default room only
        for (int shard = 1; shard < 16; ++shard)
            QVERIFY2(counts[shard] > 800 && counts[shard] < 1200, qPrintable(QString::number(counts[shard])));
        QCOMPARE(ClusterShards(1).shardOf(lobby), 0);
    }

    void junkRefused()
    {
        const QList<std::pair<const char *, RedisReply>> junk = {
            {"error", RedisReply::error("ERR This instance has cluster support disabled")},
            {"string", RedisReply::string("hello")},
            {"shard not a map", RedisReply::array({RedisReply::integer(1)})},
            {"odd slots", RedisReply::array({shard({0}, {node("a", 1, "master")})})},
            {"reversed range", RedisReply::array({shard({9, 1}, {node("a", 1, "master")})})},
            {"slot too big", RedisReply::array({shard({0, 16384}, {node("a", 1, "master")})})},
            {"port zero", RedisReply::array({shard({0, 1}, {node("a", 0, "master")})})},
            {"node junk", RedisReply::array({shard({0, 1}, {str("x")})})},
        };
        for (const auto &[name, reply] : junk) {
            QString why;
            QVERIFY2(!ClusterSlotMap::fromShardsReply(reply, false, &why), name);
            QVERIFY2(!why.isEmpty(), name);
        }
    }
};

QTEST_GUILESS_MAIN(TestClusterSlots)
#include "tst_cluster_slots.moc"
