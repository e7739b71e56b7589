#include "model/EventId.h"

#include <QTest>

using presence::EventId;

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
};

QTEST_GUILESS_MAIN(TestEventId)
#include "tst_event_id.moc"
