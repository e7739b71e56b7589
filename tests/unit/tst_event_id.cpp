#include "model/EventId.h"
#include "model/RoomCursor.h"

#include <QTest>

using presence::EventId;
using presence::RoomCursor;

class TestEventId : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesStreamIds()
    {
        QCOMPARE(EventId::parse("1700000000000-5"), (EventId{1700000000000, 5}));
        QCOMPARE(EventId::parse("42"), (EventId{42, 0}));
        QCOMPARE(EventId::parse("0-0"), (EventId{0, 0}));
        QCOMPARE(EventId::parse("18446744073709551615-18446744073709551615"),
                 (EventId{18446744073709551615ULL, 18446744073709551615ULL}));
    }

    void refusesJunk_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const char *junk : {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", " 1-2", "1 -2", "+1-2",
                                 "18446744073709551616-0", "1-99999999999999999999999", "0x10-1",
                                 "1.5-2", "\xff-1"})
            QTest::newRow(junk) << QByteArray(junk);
    }
    void refusesJunk()
    {
        QFETCH(QByteArray, text);
        QVERIFY(!EventId::parse(text).has_value());
    }

    void ordersLikeRedis()
    {
        QVERIFY((EventId{1, 9}) < (EventId{2, 0}));
        QVERIFY((EventId{2, 1}) > (EventId{2, 0}));
        QCOMPARE((EventId{5, 7}).next(), (EventId{5, 8}));
        QCOMPARE((EventId{5, 18446744073709551615ULL}).next(), (EventId{6, 0}));
    }

    void roundTrips()
    {
        const EventId id{1795812866466, 12};
        QCOMPARE(id.toByteArray(), QByteArray("1795812866466-12"));
        QCOMPARE(EventId::parse(id.toByteArray()), id);
    }

    // A cluster session's Last-Event-ID: one id per room, read back as written.
    void roomCursorRoundTrips()
    {
        const RoomCursor cursor{{EventId{1795812866466, 12}, EventId{0, 0}, EventId{7, 1}}};
        QCOMPARE(cursor.toByteArray(), QByteArray("r:1795812866466-12,0-0,7-1"));
        QCOMPARE(RoomCursor::parse(cursor.toByteArray()), cursor);
        QCOMPARE(RoomCursor::parse("r:5-0")->ids.size(), 1);
    }

    void roomCursorRefusesJunk_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const char *junk : {"", "r:", "r", "5-0", "r:5", "r:5-0,", "r:,5-0", "r:5-0,,6-0",
                                 "r:5-0;6-0", "R:5-0", "r: 5-0", "r:5-0,x-1", "r:5-0,6"})
            QTest::newRow(junk) << QByteArray(junk);
        QByteArray tooMany = "r:1-0";
        for (int i = 1; i <= RoomCursor::maxRooms; ++i)
            tooMany += ",1-0";
        QTest::newRow("65 rooms") << tooMany;
    }
    void roomCursorRefusesJunk()
    {
        QFETCH(QByteArray, text);
        QVERIFY(!RoomCursor::parse(text).has_value());
    }
};

QTEST_GUILESS_MAIN(TestEventId)
#include "tst_event_id.moc"
