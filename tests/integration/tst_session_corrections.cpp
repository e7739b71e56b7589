// What SSE sessions are sent when the engine corrects its roster (after a resync), over real
// sockets, with a scripted engine that decides when a Last-Event-ID replay comes back: that
// race (a correction while a session's replay is being fetched) cannot be timed against a
// real Redis, whose replies on one connection come in order. tst_roster_resync covers the
// whole path on a real node and redis-server.
#include "SseTestClient.h"
#include "engine/Clock.h"
#include "engine/LocalClients.h"
#include "http/HttpFrontend.h"

#include <QTest>

using namespace presence;
using presence::test::SseTestClient;

namespace {
ClientId id(const char *text)
{
    return *ClientId::fromString(QString::fromLatin1(text));
}

// A roster the test sets, a position the test moves, and history() replies held until the
// test releases them (complete, with nothing after the asked id).
class ScriptedEngine final : public PresenceEngine {
public:
    QList<ClientPresence> rows;
    EventId position = *EventId::parse("1000-0");
    QList<HistoryCallback> heldHistory;

    QString kind() const override { return QStringLiteral("scripted"); }
    void setConnections(const RoomMember &, int) override {}
    void heartbeat(const QList<RoomMember> &) override {}
    void leave(const RoomMember &) override {}
    QList<ClientPresence> snapshot() const override { return rows; }
    EventId lastEventId() const override { return position; }
    void history(EventId, HistoryCallback callback) override { heldHistory.append(callback); }
    PresenceTiming timing() const override { return PresenceTiming{}; }
    void setTiming(const PresenceTiming &) override {}
    void readDiagnostics(const QObject *, DiagnosticsCallback) override {} // not under test

    void setStatus(const char *client, PresenceStatus status)
    {
        rows.removeIf([&](const ClientPresence &row) { return row.client == id(client); });
        ClientPresence row;
        row.client = id(client);
        row.status = status;
        row.reason = QStringLiteral("connected");
        rows.append(row);
    }
    // What RedisPresenceEngine::resync does once it has re-read the roster.
    void correct(const char *client, PresenceStatus status)
    {
        setStatus(client, status);
        PresenceEvent event{position, id(client), status, QStringLiteral("resync"), 1, {}, {}};
        event.correction = true;
        Q_EMIT presenceChanged(event);
        Q_EMIT rosterReset();
    }
};
} // namespace

class TestSessionCorrections : public QObject {
    Q_OBJECT

    SystemClock m_clock;
    std::unique_ptr<ScriptedEngine> m_engine;
    std::unique_ptr<LocalClients> m_local;
    Metrics m_metrics;
    std::unique_ptr<RealtimeServer> m_realtime;
    std::unique_ptr<HttpFrontend> m_http;
    quint16 m_port = 0;

private Q_SLOTS:
    void init()
    {
        m_engine = std::make_unique<ScriptedEngine>();
        m_local = std::make_unique<LocalClients>(*m_engine, m_clock);
        m_realtime = std::make_unique<RealtimeServer>(*m_engine, *m_local, m_metrics,
                                                      RealtimeServer::Config{});
        m_http = std::make_unique<HttpFrontend>(*m_engine, *m_local, *m_realtime, m_metrics,
                                                QStringLiteral("scripted-node"));
        QString error;
        m_port = m_http->listenOn(QHostAddress::LocalHost, 0, &error);
        QVERIFY2(m_port > 0, qPrintable(error));
        m_engine->setStatus("erin", PresenceStatus::Online);
    }
    void cleanup()
    {
        m_http.reset();
        m_realtime.reset();
        m_local.reset();
        m_engine.reset();
    }

    void aCorrectionReachesSessionsThatSawItsIdAlready()
    {
        SseTestClient watcher;
        watcher.open(m_port, "/watcher");
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE")));
        QCOMPARE(watcher.lastEventId(), QByteArray("1000-0"));
        m_engine->correct("erin", PresenceStatus::Offline);
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("OFFLINE")));
        QCOMPARE(watcher.events().last().id, QByteArray("1000-0"));
        // Not sent to the member it is about.
        SseTestClient erin;
        erin.open(m_port, "/erin");
        QVERIFY(erin.waitForHeaders());
        m_engine->correct("erin", PresenceStatus::Online);
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE")));
        QVERIFY(erin.eventsFor(QStringLiteral("erin")).isEmpty());
    }

    void aReplayFetchedAcrossAResetBecomesAFreshRoster()
    {
        SseTestClient resuming;
        resuming.open(m_port, "/resuming", "1000-0");
        QVERIFY(resuming.waitForHeaders());
        QVERIFY(QTest::qWaitFor([&] { return !m_engine->heldHistory.isEmpty(); }, 5000));
        // While its replay is being fetched: erin corrected to OFFLINE, dave ONLINE.
        m_engine->correct("erin", PresenceStatus::Offline);
        m_engine->correct("dave", PresenceStatus::Online);
        // The stream's story after 1000-0 is empty: replayed as such, the session would go on
        // believing erin ONLINE and never hear of dave.
        m_engine->heldHistory.takeFirst()(PresenceEngine::History{true, {}});
        QVERIFY(resuming.waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        QVERIFY(resuming.waitForStatus(QStringLiteral("erin"), QStringLiteral("OFFLINE")));
        QCOMPARE(resuming.eventsFor(QStringLiteral("erin")).size(), 1);
        QCOMPARE(resuming.eventsFor(QStringLiteral("dave")).size(), 1);
        QCOMPARE(
            resuming.eventsFor(QStringLiteral("dave")).first().value(QStringLiteral("snapshot")),
            QJsonValue(true));

        // Without a reset meanwhile a replay stays a replay: nothing re-sent.
        SseTestClient quiet;
        quiet.open(m_port, "/quiet", "1000-0");
        QVERIFY(QTest::qWaitFor([&] { return !m_engine->heldHistory.isEmpty(); }, 5000));
        m_engine->heldHistory.takeFirst()(PresenceEngine::History{true, {}});
        QTest::qWait(200); // nothing is what it should get: give a wrong roster time to arrive
        QVERIFY(quiet.events().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSessionCorrections)
#include "tst_session_corrections.moc"
