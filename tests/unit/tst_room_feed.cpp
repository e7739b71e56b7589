// RoomFeed (issue 16): what a session that is behind its room takes, held once for all such
// sessions, and bounded by the room's members however many changes it sees.
#include "http/RoomFeed.h"

#include <QTest>

using namespace presence;

namespace {
ClientId client(int i)
{
    return *ClientId::fromString(QStringLiteral("m%1").arg(i));
}

PresenceEvent change(quint64 ms, int member, bool online)
{
    PresenceEvent event;
    event.id = EventId{ms, 0};
    event.client = client(member);
    event.status = online ? PresenceStatus::Online : PresenceStatus::Offline;
    return event;
}

// A 100-byte frame naming the event, so a reader can tell what it was given.
QByteArray frameOf(const PresenceEvent &event)
{
    QByteArray frame = event.id.toByteArray() + ' ' + event.client.toString().toLatin1() + ' ' +
                       (event.status == PresenceStatus::Online ? "ON" : "OFF");
    return frame.leftJustified(100, '.');
}

// Everything after `cursor`, as a reader would take it.
QList<const RoomFeed::Entry *> takeAll(const RoomFeed &feed, RoomFeed::Cursor cursor)
{
    QList<const RoomFeed::Entry *> taken;
    RoomFeed::Cursor through;
    while (const RoomFeed::Entry *entry = feed.next(cursor, &through)) {
        taken.append(entry);
        cursor = through;
    }
    return taken;
}
} // namespace

class TestRoomFeed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void nothingIsStoredWhileEveryoneKeepsUp()
    {
        RoomFeed feed(1000);
        for (int i = 1; i <= 100; ++i)
            feed.append(change(quint64(i), i % 7, i % 2 == 0),
                        frameOf(change(quint64(i), i % 7, i % 2 == 0)));
        QCOMPARE(feed.storedEntries(), qsizetype(0));
        RoomFeed::Cursor cursor = feed.attach();
        QCOMPARE(feed.bytesAfter(cursor), qint64(0));
        QVERIFY(takeAll(feed, cursor).isEmpty());
        feed.detach(cursor);
    }

    void aReaderFarBehindGetsEachMembersLatest_nearTheEndEveryTransition()
    {
        // 5 members, 40 changes each, 100 bytes a frame; every transition is kept within the
        // last 1,000 bytes (10 frames).
        RoomFeed feed(1000);
        const RoomFeed::Cursor cursor = feed.attach();
        QList<PresenceEvent> appended;
        for (int i = 1; i <= 200; ++i) {
            const PresenceEvent event = change(quint64(i), i % 5, i % 3 != 0);
            feed.append(event, frameOf(event));
            appended.append(event);
        }
        QCOMPARE(feed.bytesAfter(cursor), qint64(200 * 100)); // every frame counts
        const auto taken = takeAll(feed, cursor);
        QVERIFY(taken.size() < 20);
        for (qsizetype i = 1; i < taken.size(); ++i)
            QVERIFY(taken[i - 1]->id < taken[i]->id); // id order: resume stays exact
        // The last 10 transitions, every one, and before them only members' latest changes.
        for (qsizetype i = appended.size() - 10; i < appended.size(); ++i)
            QVERIFY(std::any_of(taken.cbegin(), taken.cend(),
                                [&](const RoomFeed::Entry *e) { return e->id == appended[i].id; }));
        // Each member ends in the state of its last change.
        QHash<ClientId, QByteArray> last;
        for (const RoomFeed::Entry *entry : taken)
            last.insert(entry->client, entry->frame);
        for (int member = 0; member < 5; ++member) {
            const auto latest =
                std::find_if(appended.crbegin(), appended.crend(),
                             [&](const PresenceEvent &e) { return e.client == client(member); });
            QCOMPARE(last.value(client(member)), frameOf(*latest));
        }
        // Reading (taking) the last of it ends exactly where the feed ends.
        RoomFeed::Cursor through;
        RoomFeed::Cursor at = cursor;
        while (feed.next(at, &through))
            at = through;
        QCOMPARE(feed.bytesAfter(through), qint64(0));
    }

    void aStuckCursorPinsNoMoreThanTheMembers()
    {
        RoomFeed feed(0); // no transition kept: the latest of each member only
        const RoomFeed::Cursor stuck = feed.attach();
        for (int i = 1; i <= 20000; ++i) {
            const PresenceEvent event = change(quint64(i), i % 10, i % 2 == 0);
            feed.append(event, frameOf(event));
        }
        QVERIFY2(feed.storedEntries() <= 10 + 2 * 256,
                 qPrintable(QString::number(feed.storedEntries())));
        QCOMPARE(takeAll(feed, stuck).size(), 10);
        feed.detach(stuck);
        QCOMPARE(feed.storedEntries(), qsizetype(0));
    }

    void entriesGoOnceTheSlowestCursorPassedThem()
    {
        RoomFeed feed(1 << 20);
        RoomFeed::Cursor slow = feed.attach();
        for (int i = 1; i <= 10; ++i)
            feed.append(change(quint64(i), i, true), frameOf(change(quint64(i), i, true)));
        RoomFeed::Cursor fast = feed.attach();
        for (int i = 11; i <= 20; ++i)
            feed.append(change(quint64(i), i, true), frameOf(change(quint64(i), i, true)));
        QCOMPARE(feed.storedEntries(), qsizetype(20));
        QCOMPARE(takeAll(feed, fast).size(), 10);
        // The slow one takes five: those five go.
        RoomFeed::Cursor through;
        RoomFeed::Cursor at = slow;
        for (int i = 0; i < 5; ++i) {
            QVERIFY(feed.next(at, &through));
            at = through;
        }
        feed.move(slow, at);
        QCOMPARE(feed.storedEntries(), qsizetype(15));
        QCOMPARE(feed.bytesAfter(slow), qint64(15 * 100));
        feed.detach(slow);
        QCOMPARE(feed.storedEntries(), qsizetype(10)); // what the fast one has yet to take
        feed.detach(fast);
        QCOMPARE(feed.storedEntries(), qsizetype(0));
        QCOMPARE(feed.attachedCursors(), qsizetype(0));
    }
};

QTEST_GUILESS_MAIN(TestRoomFeed)
#include "tst_room_feed.moc"
