#include "engine/RosterUpdates.h"

#include <QTest>

using namespace presence;

// How a copy of the shared roster (the Redis engine's mirror, an observer's) keeps its OFFLINE
// rows bounded while it follows the stream, and what that costs per change.
class TestOfflineRowBound : public QObject {
    Q_OBJECT

    static PresenceEvent change(int member, PresenceStatus status, qint64 atMs)
    {
        PresenceEvent event;
        event.client = *ClientId::fromString(QStringLiteral("m%1").arg(member));
        event.status = status;
        event.reason = QStringLiteral("test");
        event.atMs = atMs;
        return event;
    }
    static qsizetype offlineRows(const RosterTable &rows)
    {
        qsizetype n = 0;
        rows.forEach([&n](const ClientPresence &row) { n += row.status == PresenceStatus::Offline; });
        return n;
    }

private Q_SLOTS:
    void aCopyOfManyOnlineMembersIsNotScannedOnEveryChange()
    {
        // 30,000 members ONLINE, none to drop: each change used to scan all of them again.
        RosterTable rows;
        OfflineRowBound bound(100);
        for (int i = 0; i < 30000; ++i)
            applyPresenceEvent(rows, change(i, PresenceStatus::Online, 1000 + i), 60000);
        bound.changed(rows, 30000);
        const qint64 before = bound.scans();
        for (int i = 30000; i < 35000; ++i) {
            applyPresenceEvent(rows, change(i, PresenceStatus::Online, 1000 + i), 60000);
            bound.changed(rows);
        }
        QVERIFY2(bound.scans() - before <= 5000 / 100,
                 qPrintable(QStringLiteral("%1 scans for 5,000 changes").arg(bound.scans() - before)));
        QCOMPARE(rows.size(), 35000); // every ONLINE row stays
    }

    void offlineRowsStayWithinTwiceKeepAndTheLongestGoneGoFirst()
    {
        RosterTable rows;
        OfflineRowBound bound(50);
        for (int i = 0; i < 1000; ++i) {
            applyPresenceEvent(rows, change(i, PresenceStatus::Online, i), 60000);
            bound.changed(rows);
        }
        for (int i = 0; i < 1000; ++i) {
            applyPresenceEvent(rows, change(i, PresenceStatus::Offline, 5000 + i), 60000);
            bound.changed(rows);
            QVERIFY2(offlineRows(rows) <= 2 * bound.keep(),
                     qPrintable(QStringLiteral("%1 OFFLINE rows after %2 went")
                                    .arg(offlineRows(rows))
                                    .arg(i + 1)));
        }
        QVERIFY(offlineRows(rows) >= bound.keep());
        // The last to go are kept; the first to go are gone.
        QVERIFY(rows.find(change(999, PresenceStatus::Offline, 0).member()));
        QVERIFY(!rows.find(change(0, PresenceStatus::Offline, 0).member()));
    }

    void aSmallCopyIsNeverScanned()
    {
        RosterTable rows;
        OfflineRowBound bound(100);
        for (int i = 0; i < 200; ++i) {
            applyPresenceEvent(rows, change(i, PresenceStatus::Offline, i), 60000);
            bound.changed(rows);
        }
        QCOMPARE(bound.scans(), 0);
        QCOMPARE(rows.size(), 200);
    }
};

QTEST_GUILESS_MAIN(TestOfflineRowBound)
#include "tst_offline_row_bound.moc"
