// Rooms as values and in the in-memory engine, on a manual clock: names, member keys,
// occupancy, and presence kept per (room, client).
#include "ManualClock.h"
#include "engine/LocalClients.h"
#include "engine/MemoryPresenceEngine.h"
#include "model/RoomOccupancy.h"

#include <QTest>

using namespace presence;
using presence::test::ManualClock;

namespace {
ClientId id(const char *text) { return *ClientId::fromString(QString::fromLatin1(text)); }
RoomName room(const char *text) { return *RoomName::fromString(QString::fromLatin1(text)); }
RoomMember member(const char *roomName, const char *client) { return {room(roomName), id(client)}; }

QStringList summary(const QList<PresenceEvent> &events)
{
    QStringList lines;
    for (const PresenceEvent &e : events)
        lines.append(e.room.toString() + u'/' + e.client.toString() + u' ' + statusText(e.status)
                     + u' ' + e.reason);
    return lines;
}

struct Recorder {
    QList<PresenceEvent> events;
    explicit Recorder(PresenceEngine &engine)
    {
        QObject::connect(&engine, &PresenceEngine::presenceChanged, &engine,
                         [this](const PresenceEvent &event) { events.append(event); });
    }
};
} // namespace

class TestRooms : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roomNamesFollowTheClientIdRule()
    {
        QVERIFY(RoomName::fromString(u"lobby"));
        QVERIFY(RoomName::fromString(u"doc:42@team-a_b.c"));
        QString why;
        QVERIFY(!RoomName::fromString(u"", &why));
        QVERIFY(why.contains(u"empty"));
        QVERIFY(!RoomName::fromString(u"a/b", &why));
        QVERIFY(why.contains(u"U+002f"));
        QVERIFY(!RoomName::fromString(QString(129, u'r')));
        QVERIFY(RoomName::fromString(QString(128, u'r')));
    }

    void defaultRoomIsTheRoomWithoutAName()
    {
        const RoomName byName = room("default");
        QVERIFY(byName.isDefault());
        QCOMPARE(byName, RoomName{});
        QCOMPARE(byName.toString(), QStringLiteral("default"));
        QVERIFY(byName.wireName().isEmpty());
        QVERIFY(!room("lobby").isDefault());
    }

    void memberKeysRoundTrip_andTheDefaultRoomKeepsPlainIds()
    {
        QCOMPARE(RoomMember(id("bob")).storeKey(), QStringLiteral("bob"));
        QCOMPARE(member("lobby", "bob").storeKey(), QStringLiteral("lobby/bob"));
        for (const RoomMember &m : {RoomMember(id("a:b@c")), member("r.1", "a:b@c")})
            QCOMPARE(RoomMember::fromStoreKey(m.storeKey()), m);
        QCOMPARE(RoomMember::fromStoreKey(u"default/bob"), RoomMember(id("bob")));
        QVERIFY(!RoomMember::fromStoreKey(u"lobby/"));
        QVERIFY(!RoomMember::fromStoreKey(u"/bob"));
        QVERIFY(!RoomMember::fromStoreKey(u"a/b/c")); // '/' is in neither name
        QVERIFY(!RoomMember::fromStoreKey(u""));
    }

    void eventJsonNamesTheRoomOnlyOutsideTheDefault()
    {
        PresenceEvent event;
        event.client = id("bob");
        event.status = PresenceStatus::Online;
        QVERIFY(!event.toJson().contains("room"));
        event.room = room("lobby");
        QVERIFY(event.toJson().contains("\"room\":\"lobby\""));
    }

    void occupancyCountsOnlinePerRoom_busiestFirst()
    {
        QList<ClientPresence> rows;
        auto add = [&rows](const char *r, const char *c, PresenceStatus status) {
            ClientPresence row;
            row.room = room(r);
            row.client = id(c);
            row.status = status;
            rows.append(row);
        };
        add("a", "x", PresenceStatus::Online);
        add("b", "x", PresenceStatus::Online);
        add("b", "y", PresenceStatus::Online);
        add("b", "z", PresenceStatus::Offline);
        const QList<RoomOccupancy> rooms = occupancyOf(rows);
        QCOMPARE(rooms.size(), 3); // b, a, and the default room (always listed)
        QCOMPARE(rooms[0].room, room("b"));
        QCOMPARE(rooms[0].online, 2);
        QCOMPARE(rooms[0].known, 3);
        QCOMPARE(rooms[1].room, room("a"));
        QCOMPARE(rooms[1].online, 1);
        QVERIFY(rooms[2].room.isDefault());
        QCOMPARE(rooms[2].online, 0);
    }

    void aClientInTwoRooms_leavingOneStaysOnlineInTheOther()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{1000, 1.5, 0}, QStringLiteral("n1"));
        LocalClients local(engine, clock);
        Recorder recorder(engine);
        local.open(member("a", "bob"));
        local.open(member("b", "bob"));
        local.close(member("a", "bob"));
        QCOMPARE(summary(recorder.events),
                 (QStringList{QStringLiteral("a/bob ONLINE connected"),
                              QStringLiteral("b/bob ONLINE connected"),
                              QStringLiteral("a/bob OFFLINE left")}));
        QCOMPARE(engine.roomSnapshot(room("b")).value(0).status, PresenceStatus::Online);
        QCOMPARE(engine.roomSnapshot(room("a")).value(0).status, PresenceStatus::Offline);
        QVERIFY(engine.roomSnapshot(RoomName{}).isEmpty());
    }

    void timeoutsArePerMember_andExactlyOnce()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{1000, 1.5, 0}, QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.heartbeat({member("a", "bob"), member("b", "bob")});
        clock.advance(1000);
        engine.heartbeat({member("b", "bob")}); // only room b is still heartbeated
        clock.advance(600);
        engine.processDue();
        engine.processDue();
        QCOMPARE(summary(recorder.events),
                 (QStringList{QStringLiteral("a/bob ONLINE heartbeat"),
                              QStringLiteral("b/bob ONLINE heartbeat"),
                              QStringLiteral("a/bob OFFLINE timeout")}));
        clock.advance(1000);
        engine.processDue();
        QCOMPARE(recorder.events.size(), 4);
        QCOMPARE(summary(recorder.events).last(), QStringLiteral("b/bob OFFLINE timeout"));
    }

    void snapshotListsEveryRoom_roomSnapshotOnlyItsOwn()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{1000, 1.5, 0}, QStringLiteral("n1"));
        engine.setConnections(id("alice"), 1);
        engine.setConnections(member("a", "bob"), 1);
        engine.setConnections(member("a", "carol"), 1);
        QCOMPARE(engine.snapshot().size(), 3);
        QCOMPARE(engine.roomSnapshot(room("a")).size(), 2);
        QCOMPARE(engine.roomSnapshot(RoomName{}).size(), 1);
        QCOMPARE(engine.roomSnapshot(room("nobody")).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestRooms)
#include "tst_rooms.moc"
