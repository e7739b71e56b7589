#include "ManualClock.h"
#include "engine/MemoryPresenceEngine.h"

#include <QSignalSpy>
#include <QTest>

using namespace presence;
using presence::test::ManualClock;

namespace {
ClientId id(const char *text) { return *ClientId::fromString(QString::fromLatin1(text)); }

PresenceTiming timing() { return PresenceTiming{1000, 1.5, 2000}; } // ttl 1500 ms

struct Recorder {
    QList<PresenceEvent> events;
    explicit Recorder(PresenceEngine &engine)
    {
        QObject::connect(&engine, &PresenceEngine::presenceChanged, &engine,
                         [this](const PresenceEvent &event) { events.append(event); });
    }
    QStringList summary() const
    {
        QStringList lines;
        for (const PresenceEvent &e : events)
            lines.append(e.client.toString() + QLatin1Char(' ') + statusText(e.status)
                         + QLatin1Char(' ') + e.reason);
        return lines;
    }
};
} // namespace

class TestMemoryEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firstConnectionMakesOnline_once()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.setConnections(id("alice"), 1);
        engine.setConnections(id("alice"), 2); // a second device: same client
        engine.heartbeat({id("alice")});
        QCOMPARE(recorder.summary(), QStringList{QStringLiteral("alice ONLINE connected")});
        const auto rows = engine.snapshot();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].connections, 2);
        QCOMPARE(rows[0].nodes, QStringList{QStringLiteral("n1")});
        QCOMPARE(rows[0].deadlineMs, clock.wallMs() + 1500);
    }

    void heartbeatsKeepOnline_andTimeoutAfterTtl()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.setConnections(id("alice"), 1);
        for (int i = 0; i < 10; ++i) {
            clock.advance(1000);
            engine.heartbeat({id("alice")});
            engine.processDue();
        }
        QCOMPARE(recorder.events.size(), 1);
        // Heartbeats stop: nothing at ttl - 1 ms, OFFLINE timeout at exactly the ttl.
        clock.advance(1499);
        engine.processDue();
        QCOMPARE(recorder.events.size(), 1);
        clock.advance(1);
        engine.processDue();
        QCOMPARE(recorder.summary().last(), QStringLiteral("alice OFFLINE timeout"));
        clock.advance(10000);
        engine.processDue();
        QCOMPARE(recorder.events.size(), 2);
    }

    void heartbeatAfterTimeoutComesBackOnline()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.heartbeat({id("bob")}); // as if redis-cli wrote a heartbeat: first refresh ⇒ ONLINE
        clock.advance(1500);
        engine.processDue();
        engine.heartbeat({id("bob")});
        QCOMPARE(recorder.summary(),
                 (QStringList{QStringLiteral("bob ONLINE heartbeat"), QStringLiteral("bob OFFLINE timeout"),
                              QStringLiteral("bob ONLINE heartbeat")}));
    }

    void leaveIsExactlyOnce()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.setConnections(id("alice"), 1);
        engine.setConnections(id("alice"), 0);
        engine.leave(id("alice"));
        engine.leave(id("alice"));
        clock.advance(5000);
        engine.processDue(); // the TTL of a client that left must not fire a second OFFLINE
        engine.leave(id("nobody"));
        QCOMPARE(recorder.summary(), (QStringList{QStringLiteral("alice ONLINE connected"),
                                                  QStringLiteral("alice OFFLINE left")}));
        // The OFFLINE row still says when alice was last seen (her connection), not 0.
        const QList<ClientPresence> rows = engine.snapshot();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].lastSeenMs, clock.wallMs() - 5000);
    }

    void idsIncreaseStrictly_evenWhenTheWallClockStepsBack()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        for (int i = 0; i < 5; ++i) {
            engine.setConnections(id("a"), 1);
            engine.leave(id("a"));
        }
        clock.stepWall(-60000);
        engine.setConnections(id("b"), 1);
        clock.advance(3);
        engine.leave(id("b"));
        QCOMPARE(recorder.events.size(), 12);
        for (qsizetype i = 1; i < recorder.events.size(); ++i)
            QVERIFY(recorder.events[i - 1].id < recorder.events[i].id);
        QCOMPARE(engine.lastEventId(), recorder.events.last().id);
    }

    void wallClockStepDoesNotExpireAnyone()
    {
        ManualClock clock;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"));
        Recorder recorder(engine);
        engine.setConnections(id("alice"), 1);
        clock.stepWall(3600 * 1000);
        engine.processDue();
        QCOMPARE(recorder.events.size(), 1);
    }

    void historyReplaysAfterAnId_orSaysIncomplete()
    {
        ManualClock clock;
        MemoryPresenceEngine::Limits limits;
        limits.historyEvents = 4;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"), limits);
        Recorder recorder(engine);
        for (const char *name : {"a", "b", "c"}) {
            engine.setConnections(id(name), 1);
            clock.advance(1);
        }
        const EventId afterA = recorder.events[0].id;
        PresenceEngine::History history;
        engine.history(afterA, [&](PresenceEngine::History h) { history = std::move(h); });
        QVERIFY(history.complete);
        QCOMPARE(history.events.size(), 2);
        QCOMPARE(history.events[0].client, id("b"));

        engine.history(engine.lastEventId(), [&](PresenceEngine::History h) { history = std::move(h); });
        QVERIFY(history.complete);
        QVERIFY(history.events.isEmpty());

        // Three more events push the first two out of a 4-event history: resuming after "a"
        // is now impossible, resuming after "b" (the newest trimmed) still is.
        engine.leave(id("a"));
        engine.leave(id("b"));
        engine.leave(id("c"));
        engine.history(afterA, [&](PresenceEngine::History h) { history = std::move(h); });
        QVERIFY(!history.complete);
        engine.history(recorder.events[1].id, [&](PresenceEngine::History h) { history = std::move(h); });
        QVERIFY(history.complete);
        QCOMPARE(history.events.size(), 4);

        // An id from the future (another run, or forged) is not trusted.
        engine.history(EventId{engine.lastEventId().ms + 1000, 0},
                       [&](PresenceEngine::History h) { history = std::move(h); });
        QVERIFY(!history.complete);
    }

    void offlineRowsAreBounded()
    {
        ManualClock clock;
        MemoryPresenceEngine::Limits limits;
        limits.offlineClients = 3;
        MemoryPresenceEngine engine(clock, timing(), QStringLiteral("n1"), limits);
        for (int i = 0; i < 10; ++i) {
            const ClientId client = *ClientId::fromString(QStringLiteral("c%1").arg(i));
            engine.setConnections(client, 1);
            clock.advance(1);
            engine.leave(client);
        }
        engine.setConnections(id("online"), 1);
        const auto rows = engine.snapshot();
        QCOMPARE(rows.size(), 4); // 3 newest offline + 1 online
        QStringList names;
        for (const auto &row : rows)
            names.append(row.client.toString());
        QCOMPARE(names, (QStringList{QStringLiteral("c7"), QStringLiteral("c8"), QStringLiteral("c9"),
                                     QStringLiteral("online")}));
    }

    void expiryTimerFiresOnItsOwn()
    {
        // The real clock and the event loop, with a short ttl: proves processDue() is scheduled.
        SystemClock clock;
        MemoryPresenceEngine engine(clock, PresenceTiming{40, 1.5, 0}, QStringLiteral("n1"));
        QSignalSpy spy(&engine, &PresenceEngine::presenceChanged);
        engine.heartbeat({id("alice")});
        QCOMPARE(spy.count(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, 5000);
        QCOMPARE(spy.at(1).at(0).value<PresenceEvent>().reason, QStringLiteral("timeout"));
    }
};

QTEST_GUILESS_MAIN(TestMemoryEngine)
#include "tst_memory_engine.moc"
