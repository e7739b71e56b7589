#include "model/RoomMember.h"
#include "redis/RosterReply.h"
#include "redis/StreamEntries.h"

#include <QTest>

using namespace presence;

namespace {
RedisReply s(const char *text)
{
    return RedisReply::string(QByteArray(text));
}
RedisReply entry(const char *id, QList<RedisReply> fields)
{
    return RedisReply::array({s(id), RedisReply::array(std::move(fields))});
}
} // namespace

class TestStreamEntries : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesXreadReplies()
    {
        const RedisReply reply = RedisReply::array({RedisReply::array(
            {s("presence"),
             RedisReply::array({entry("5-1", {s("client"), s("bob"), s("status"), s("ONLINE")}),
                                RedisReply::integer(3), // junk element
                                entry("not-an-id", {}), entry("6-0", {s("client")})})})});
        int malformed = 0;
        const QList<StreamEntry> entries = parseStreamRead(reply, &malformed);
        QCOMPARE(entries.size(), 2);
        QCOMPARE(malformed, 2);
        QCOMPARE(entries[0].id, (EventId{5, 1}));
        QCOMPARE(entries[0].value("status"), QByteArray("ONLINE"));
        QVERIFY(entries[1].fields.isEmpty()); // an odd field list loses its dangling name
        QVERIFY(parseStreamRead(RedisReply()).isEmpty()); // Nil: BLOCK timed out
    }

    void heartbeatsSayTheirTtlAndConnections()
    {
        const auto given = parseHeartbeat(StreamEntry{
            "7-0", EventId{7, 0}, {{"client", "bob"}, {"ttl", "2500"}, {"conns", "3"}}});
        QVERIFY(given);
        QCOMPARE(given->ttlMs, 2500);
        QCOMPARE(given->connections, 3);
        // Absent, junk, zero, negative or absurd: not given (the processor's own TTL applies).
        for (const QByteArray &bad :
             {QByteArray(), QByteArray("soon"), QByteArray("0"), QByteArray("-5"),
              QByteArray("99999999999"), QByteArray("1e3")}) {
            QList<QPair<QByteArray, QByteArray>> fields{{"client", "bob"}};
            if (!bad.isNull())
                fields.append({"ttl", bad});
            fields.append({"conns", bad.isNull() ? QByteArray("x") : bad});
            const auto hb = parseHeartbeat(StreamEntry{"7-1", EventId{7, 1}, fields});
            QVERIFY(hb);
            QCOMPARE(hb->ttlMs, 0);
            QCOMPARE(hb->connections, 0);
        }
    }

    void rosterCountsOnlyLiveNodesConnections()
    {
        const QByteArray info =
            R"({"since":5,"reason":"connected","connections":3,"nodes":["a","b"],"counts":{"a":1,"b":2}})";
        const auto rowsWith = [&](const RedisReply &liveNodes) {
            return RosterReply{RedisReply::array({s("alice"), s("ONLINE")}),
                               RedisReply::array({s("alice"), RedisReply::string(info)}),
                               RedisReply::array({}), liveNodes}
                .rows(7500);
        };
        const auto bothAlive =
            rowsWith(RedisReply::array({RedisReply::integer(100), s("a"), s("b")}));
        QCOMPARE(bothAlive.value(0).connections, 3);
        QCOMPARE(bothAlive.value(0).nodes, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
        const auto bDead = rowsWith(RedisReply::array({RedisReply::integer(100), s("a")}));
        QCOMPARE(bDead.value(0).connections, 1);
        QCOMPARE(bDead.value(0).nodes, QStringList{QStringLiteral("a")});
        // An older library (no such function): the totals as written.
        const auto unknown = rowsWith(RedisReply::error("ERR Function not found"));
        QCOMPARE(unknown.value(0).connections, 3);
    }

    void aNodesEntryHoldsManyMembers_junkOnesAreLeftOut()
    {
        const QByteArray junk = "no%pe " + QByteArray(129, 'x') + " a/b/c " + QByteArray("\xff");
        StreamEntry e{"9-0",
                      EventId{9, 0},
                      {{"members", "bob lobby/carol  default/dave " + junk + " erin"},
                       {"conns", "2 x 1 0 0 0 0 0 7"},
                       {"node", "n1"},
                       {"ttl", "4000"}}};
        QStringList skipped;
        const auto group = parseHeartbeatGroup(e, nullptr, &skipped);
        QVERIFY(group);
        QCOMPARE(group->atMs, 9);
        QCOMPARE(group->node, QByteArray("n1"));
        QCOMPARE(group->ttlMs, 4000);
        QStringList names;
        QList<qint64> counts;
        for (const auto &m : group->members) {
            names.append(QString::fromUtf8(m.name));
            counts.append(m.connections);
        }
        // "default/dave" is dave (the default room's members have no room in their name).
        QCOMPARE(names, (QStringList{QStringLiteral("bob"), QStringLiteral("lobby/carol"),
                                     QStringLiteral("dave"), QStringLiteral("erin")}));
        // conns is by position; a word that is no count says nothing.
        QCOMPARE(counts, (QList<qint64>{2, 0, 0, 7}));
        QCOMPARE(skipped.size(), 4);
        QVERIFY2(skipped[0].startsWith(QLatin1String("no%pe: ")), qPrintable(skipped[0]));

        // A seed-style entry is a group of one.
        const auto seed = parseHeartbeatGroup(StreamEntry{
            "9-1", EventId{9, 1}, {{"client", "bob"}, {"room", "lobby"}, {"conns", "3"}}});
        QVERIFY(seed);
        QCOMPARE(seed->members.size(), 1);
        QCOMPARE(seed->members[0].name, QByteArray("lobby/bob"));
        QCOMPARE(seed->members[0].connections, 3);

        // Nothing valid: junk, with the reason.
        QString why;
        QVERIFY(!parseHeartbeatGroup(StreamEntry{"9-2", EventId{9, 2}, {{"members", " a%b "}}},
                                     &why, &skipped));
        QCOMPARE(why, QStringLiteral("no valid member in the members field"));
        QVERIFY(!parseHeartbeatGroup(StreamEntry{"9-3", EventId{9, 3}, {{"user", "bob"}}}, &why));
        QCOMPARE(why, QStringLiteral("no client field"));
    }

    // parseHeartbeatGroup reads a seed entry with a plain client id on the bytes: it must
    // take and refuse exactly what parseHeartbeat does, and name the same member.
    void seedEntriesGroupAsParseHeartbeatReadsThem()
    {
        const QList<QList<QPair<QByteArray, QByteArray>>> cases{
            {{"client", "bob"}},
            {{"client", "bob"}, {"node", "n1"}, {"ttl", "2500"}, {"conns", "3"}},
            {{"client", "bob"}, {"ttl", "junk"}, {"conns", "-1"}},
            {{"client", "a.b_c-d:e@f"}},
            {{"client", QByteArray(ClientId::maxLength, 'x')}},
            {{"client", QByteArray(ClientId::maxLength + 1, 'x')}},
            {{"client", "bob"}, {"room", "lobby"}},
            {{"client", "bob"}, {"room", "default"}},
            {{"client", "bob"}, {"room", ""}},
            {{"client", "lobby/bob"}},
            {{"client", "a b"}},
            {{"client", ""}},
            {{"client", QByteArray::fromHex("62c3b662")}}, // "böb"
            {{"client", QByteArray("\xff\xfe", 2)}},
            {{"user", "bob"}},
        };
        for (const auto &fields : cases) {
            const StreamEntry e{"9-0", EventId{9, 0}, fields};
            const auto one = parseHeartbeat(e);
            const auto group = parseHeartbeatGroup(e);
            QCOMPARE(bool(group), bool(one));
            if (!one)
                continue;
            QCOMPARE(group->members.size(), 1);
            QCOMPARE(group->members[0].name,
                     (RoomMember{one->room, one->client}.storeKey().toUtf8()));
            QCOMPARE(group->members[0].connections, one->connections);
            QCOMPARE(group->node, one->node);
            QCOMPARE(group->ttlMs, one->ttlMs);
            QCOMPARE(group->atMs, one->atMs);
        }
    }

    void heartbeatsNeedAValidClient()
    {
        StreamEntry e{"7-0", EventId{7, 0}, {{"client", "bob"}, {"node", "n1"}, {"extra", "x"}}};
        const auto hb = parseHeartbeat(e);
        QVERIFY(hb);
        QCOMPARE(hb->client.toString(), QStringLiteral("bob"));
        QCOMPARE(hb->atMs, 7);
        QCOMPARE(hb->node, QByteArray("n1"));

        QString why;
        QVERIFY(!parseHeartbeat(StreamEntry{"7-1", EventId{7, 1}, {{"user", "bob"}}}, &why));
        QCOMPARE(why, QStringLiteral("no client field"));
        QVERIFY(!parseHeartbeat(StreamEntry{"7-2", EventId{7, 2}, {{"client", "a b"}}}, &why));
        QVERIFY(why.contains(QStringLiteral("U+0020")));
        QVERIFY(!parseHeartbeat(
            StreamEntry{"7-3", EventId{7, 3}, {{"client", QByteArray("\xff\xfe", 2)}}}));
        QVERIFY(!parseHeartbeat(StreamEntry{"7-4", EventId{7, 4}, {{"client", ""}}}));
    }

    void roomFieldIsOptional_andFollowsTheRule()
    {
        const auto plain = parseHeartbeat(StreamEntry{"7-1", EventId{7, 1}, {{"client", "bob"}}});
        QVERIFY(plain && plain->room.isDefault());
        const auto inLobby = parseHeartbeat(
            StreamEntry{"7-2", EventId{7, 2}, {{"client", "bob"}, {"room", "lobby"}}});
        QVERIFY(inLobby);
        QCOMPARE(inLobby->room.toString(), QStringLiteral("lobby"));
        QString why;
        QVERIFY(!parseHeartbeat(
            StreamEntry{"7-3", EventId{7, 3}, {{"client", "bob"}, {"room", "a/b"}}}, &why));
        QVERIFY2(why.startsWith(u"invalid room"), qPrintable(why));
        const auto event = parsePresenceEntry(StreamEntry{
            "7-4", EventId{7, 4}, {{"client", "bob"}, {"status", "ONLINE"}, {"room", "lobby"}}});
        QVERIFY(event);
        QCOMPARE(event->room.toString(), QStringLiteral("lobby"));
        QVERIFY(!parsePresenceEntry(StreamEntry{
            "7-5",
            EventId{7, 5},
            {{"client", "bob"}, {"status", "ONLINE"}, {"room", QByteArray(200, 'r')}}}));
    }

    void presenceEntriesFromAnyWriter()
    {
        // What `redis-cli XADD presence '*' client carol status ONLINE` writes.
        const auto minimal = parsePresenceEntry(
            StreamEntry{"9-0", EventId{9, 0}, {{"client", "carol"}, {"status", "ONLINE"}}});
        QVERIFY(minimal);
        QCOMPARE(minimal->status, PresenceStatus::Online);
        QCOMPARE(minimal->atMs, 9); // no "at": the entry's time
        QVERIFY(minimal->reason.isEmpty());

        QString why;
        QVERIFY(!parsePresenceEntry(
            StreamEntry{"9-1", EventId{9, 1}, {{"client", "carol"}, {"status", "away"}}}, &why));
        QVERIFY(why.contains(QStringLiteral("ONLINE")));
        QVERIFY(!parsePresenceEntry(StreamEntry{"9-2", EventId{9, 2}, {{"status", "ONLINE"}}}));
        const auto badAt = parsePresenceEntry(StreamEntry{
            "9-3", EventId{9, 3}, {{"client", "x"}, {"status", "OFFLINE"}, {"at", "soon"}}});
        QVERIFY(badAt);
        QCOMPARE(badAt->atMs, 9);
    }

    // Fuzz-corpus inputs fuzz/corpus/stream_reply/crash-huge-*: a deadline score or a
    // "since" that does not fit qint64 (1e300, nan) was cast from double, which is undefined.
    void offlineRowsSayWhenTheyWereLastSeen()
    {
        const RosterReply roster{
            RedisReply::array({s("alice"), s("OFFLINE"), s("bob"), s("OFFLINE")}),
            RedisReply::array({s("alice"),
                               RedisReply::string(R"({"since":100000,"reason":"left"})"), s("bob"),
                               RedisReply::string(R"({"since":200000,"reason":"timeout"})")}),
            RedisReply::array({}), RedisReply()};
        const auto rows = roster.rows(7500);
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].client.toString(), QStringLiteral("alice"));
        QCOMPARE(rows[0].lastSeenMs, 100000);        // left: the node held it until then
        QCOMPARE(rows[1].lastSeenMs, 200000 - 7500); // timeout: no heartbeat for a TTL before
    }

    void rosterSurvivesNumbersOutOfRange_data()
    {
        QTest::addColumn<QByteArray>("number");
        for (const char *number : {"1e300", "-1e300", "nan", "inf", "9.3e18"})
            QTest::newRow(number) << QByteArray(number);
    }
    void rosterSurvivesNumbersOutOfRange()
    {
        QFETCH(QByteArray, number);
        const RosterReply roster{
            RedisReply::array({s("alice"), s("ONLINE")}),
            RedisReply::array({s("alice"), RedisReply::string("{\"since\":" + number + "}")}),
            RedisReply::array({s("alice"), RedisReply::string(number)}), RedisReply()};
        const auto rows = roster.rows(7500);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].client.toString(), QStringLiteral("alice"));
        QCOMPARE(rows[0].deadlineMs, 0);
        QCOMPARE(rows[0].sinceMs, 0); // JSON has no nan/inf: the document is dropped, since is 0
    }
};

QTEST_GUILESS_MAIN(TestStreamEntries)
#include "tst_stream_entries.moc"
