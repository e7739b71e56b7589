#include "ManualClock.h"
#include "engine/LocalClients.h"
#include "engine/MemoryPresenceEngine.h"

#include <QSignalSpy>
#include <QTest>

using namespace presence;
using presence::test::ManualClock;

namespace {
ClientId id(const char *text) { return *ClientId::fromString(QString::fromLatin1(text)); }

struct Fixture {
    ManualClock clock;
    MemoryPresenceEngine engine{clock, PresenceTiming{1000, 1.5, 2000}, QStringLiteral("n1")};
    LocalClients local{engine, clock};
    QStringList seen;
    Fixture()
    {
        QObject::connect(&engine, &PresenceEngine::presenceChanged, &engine,
                         [this](const PresenceEvent &e) {
                             seen.append(e.client.toString() + QLatin1Char(' ') + statusText(e.status)
                                         + QLatin1Char(' ') + e.reason);
                         });
    }
    void tick(qint64 ms)
    {
        // Heartbeats every second, as the node's timer would send them.
        for (qint64 t = 0; t < ms; t += 100) {
            clock.advance(100);
            if (clock.monotonicMs() % 1000 == 0)
                local.sendHeartbeats();
            local.processDue();
            engine.processDue();
        }
    }
};
} // namespace

class TestLocalClients : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void refreshInsideGraceDoesNotFlap()
    {
        Fixture f;
        f.local.open(id("alice"));
        f.tick(1000);
        f.local.close(id("alice"));
        f.tick(1900);
        f.local.open(id("alice")); // the page came back within the 2 s grace
        f.tick(10000);
        QCOMPARE(f.seen, QStringList{QStringLiteral("alice ONLINE connected")});
        QCOMPARE(f.local.connections(id("alice")), 1);
    }

    void leaveAfterGrace()
    {
        Fixture f;
        f.local.open(id("alice"));
        f.local.close(id("alice"));
        f.tick(1900);
        QCOMPARE(f.seen.size(), 1);
        f.tick(200);
        QCOMPARE(f.seen.last(), QStringLiteral("alice OFFLINE left"));
        QVERIFY(f.local.heldMembers().isEmpty());
    }

    void graceLongerThanTtlStillHeartbeats()
    {
        Fixture f;
        f.engine.setTiming(PresenceTiming{1000, 1.5, 5000});
        f.local.open(id("alice"));
        f.local.close(id("alice"));
        f.tick(4900);
        QCOMPARE(f.seen.size(), 1); // no timeout while in grace: the node kept heartbeating
        f.tick(200);
        QCOMPARE(f.seen.last(), QStringLiteral("alice OFFLINE left"));
    }

    void severalConnectionsAreOneClient()
    {
        Fixture f;
        f.local.open(id("alice"));
        f.local.open(id("alice"));
        f.local.open(id("alice"));
        QCOMPARE(f.local.totalConnections(), 3);
        f.local.close(id("alice"));
        f.local.close(id("alice"));
        f.tick(5000);
        QCOMPARE(f.seen, QStringList{QStringLiteral("alice ONLINE connected")});
        f.local.close(id("alice"));
        f.tick(2100);
        QCOMPARE(f.seen.last(), QStringLiteral("alice OFFLINE left"));
        QCOMPARE(f.local.totalConnections(), 0);
    }

    void zeroGraceLeavesAtOnce()
    {
        Fixture f;
        f.engine.setTiming(PresenceTiming{1000, 1.5, 0});
        f.local.open(id("alice"));
        f.local.close(id("alice"));
        QCOMPARE(f.seen.last(), QStringLiteral("alice OFFLINE left"));
    }

    void pausedHeartbeatsTimeOut_andResumeBringsBack()
    {
        Fixture f;
        QSignalSpy paused(&f.local, &LocalClients::heartbeatsPausedChanged);
        f.local.open(id("alice"));
        f.local.open(id("bob"));
        f.tick(3000);
        f.local.setHeartbeatsPaused(true);
        QCOMPARE(paused.count(), 1);
        f.tick(1600);
        QCOMPARE(f.seen.size(), 4);
        QVERIFY(f.seen.contains(QStringLiteral("alice OFFLINE timeout")));
        QVERIFY(f.seen.contains(QStringLiteral("bob OFFLINE timeout")));
        f.local.setHeartbeatsPaused(false);
        QVERIFY(f.seen.contains(QStringLiteral("alice ONLINE heartbeat")));
        QCOMPARE(f.seen.size(), 6);
    }

    void closeWithoutOpenIsHarmless()
    {
        Fixture f;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("close without open")));
        f.local.close(id("ghost"));
        QCOMPARE(f.local.totalConnections(), 0);
        QVERIFY(f.seen.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLocalClients)
#include "tst_local_clients.moc"
