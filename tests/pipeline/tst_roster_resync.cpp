// Sessions after a roster resync, on a real node process and a real redis-server: the shared
// state is changed behind the node's back (Redis rewound to an older snapshot, as a failover to
// a replica that missed the last writes does; the presence stream trimmed past the node's
// position while its connection was down), the node re-reads the roster, and every open SSE
// session gets, for each member whose state differs from what it was told, an event with the
// current state - and nothing for the members that did not change.
#include "HttpGet.h"
#include "NodeProcess.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QTest>

using namespace presence;
using presence::test::httpGet;
using presence::test::NodeProcess;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {
const QString nodeName = QStringLiteral("resync-node");
// Members are held by "n0", a node the test plays through the library's own functions, so the
// node under test has nothing of its own to re-assert: what it tells its sessions is what it
// read.
constexpr const char *otherNode = "n0";

bool isCorrection(const SseTestClient::Event &event, const QString &client, const QString &status)
{
    const QJsonObject json = event.json();
    return json.value(QStringLiteral("client")).toString() == client &&
           json.value(QStringLiteral("status")).toString() == status &&
           json.value(QStringLiteral("reason")).toString() == u"resync";
}

QString lastStatus(const SseTestClient &viewer, const QString &client)
{
    const QList<QJsonObject> events = viewer.eventsFor(client);
    return events.isEmpty() ? QStringLiteral("OFFLINE")
                            : events.last().value(QStringLiteral("status")).toString();
}

// client → status of the node's /api/presence (the shared roster), default room.
QMap<QString, QString> sharedRoster(quint16 port)
{
    QMap<QString, QString> roster;
    const QJsonDocument document =
        QJsonDocument::fromJson(httpGet(port, QStringLiteral("/api/presence")).body);
    const QJsonArray rows = document.isArray()
                                ? document.array()
                                : document.object().value(QStringLiteral("clients")).toArray();
    for (const QJsonValue &row : rows)
        roster.insert(row.toObject().value(QStringLiteral("client")).toString(),
                      row.toObject().value(QStringLiteral("status")).toString());
    return roster;
}
} // namespace

class TestRosterResync : public QObject {
    Q_OBJECT

    std::unique_ptr<RedisTestServer> m_server;
    std::unique_ptr<RedisConnection> m_redis;
    std::unique_ptr<NodeProcess> m_node;

    RedisReply run(const QList<QByteArray> &argv)
    {
        return presence::test::runCommand(*m_redis, argv);
    }
    void connectOnOtherNode(const QByteArray &client)
    {
        QVERIFY(!run({"FCALL", "presence_connect", "0", "", "1000", "100", "60000", otherNode,
                      client, "1"})
                     .isError());
    }
    void leaveOnOtherNode(const QByteArray &client)
    {
        QVERIFY(
            !run({"FCALL", "presence_leave", "0", "", "1000", "100", otherNode, client}).isError());
    }
    void openRedis()
    {
        m_redis = std::make_unique<RedisConnection>(m_server->url());
        m_redis->open();
        QVERIFY(presence::test::waitUntilUp(*m_redis));
    }
    // Every member of the watcher's view as the shared roster has it (absent = OFFLINE).
    bool viewMatchesSharedRoster(const SseTestClient &watcher, const QStringList &clients)
    {
        const auto roster = sharedRoster(m_node->port());
        for (const QString &client : clients) {
            if (lastStatus(watcher, client) != roster.value(client, QStringLiteral("OFFLINE")))
                return false;
        }
        return true;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()),
                 "PRESENCE_BINARY must name the built binary");
        m_server = std::make_unique<RedisTestServer>();
        QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
        openRedis();
        QVERIFY(presence::test::markNodeAlive(*m_redis, "n0"));
        m_node = std::make_unique<NodeProcess>();
        QVERIFY2(m_node->start({QStringLiteral("--redis"),
                                QStringLiteral("redis://127.0.0.1:%1").arg(m_server->port()),
                                QStringLiteral("--node-id"), nodeName,
                                QStringLiteral("--heartbeat"), QStringLiteral("300ms"),
                                QStringLiteral("--grace"), QStringLiteral("0s")}),
                 m_node->log().constData());
        // Ready (the library loaded, the roster read) before the test plays n0 through it.
        QVERIFY(QTest::qWaitFor(
            [&] { return httpGet(m_node->port(), QStringLiteral("/health")).status == 200; },
            10000));
    }
    void cleanup()
    {
        m_node.reset();
        m_redis.reset();
        m_server.reset();
    }

    void sessionsAreCorrectedAfterRedisIsRewound()
    {
        connectOnOtherNode("erin");
        connectOnOtherNode("frank");
        SseTestClient watcher;
        watcher.open(m_node->port(), "/watcher");
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(watcher.waitForStatus(QStringLiteral("frank"), QStringLiteral("ONLINE")));

        // The snapshot Redis will come back from: erin and frank ONLINE. Then, written after it
        // and so lost by the rewind: erin leaves, dave comes.
        QVERIFY(run({"SAVE"}).isOk());
        leaveOnOtherNode("erin");
        connectOnOtherNode("dave");
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("OFFLINE")));
        QVERIFY(watcher.waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        const qsizetype eventsBefore = watcher.events().size();
        // The id a client that went away now would resume from: an entry the rewind loses.
        const QByteArray lostId = watcher.lastEventId();

        // Restarted on the same folder, it loads that snapshot: its presence stream ends before
        // the node's position (rewound), and erin is ONLINE there.
        QVERIFY2(m_server->restart(), qPrintable(m_server->errorString()));
        QElapsedTimer sinceRestart; // from Redis answering again
        sinceRestart.start();
        QVERIFY(watcher.waitForEvent(
            [](const SseTestClient::Event &e) {
                return isCorrection(e, QStringLiteral("erin"), QStringLiteral("ONLINE"));
            },
            15000));
        qInfo("the session had its correction %lld ms after the rewound Redis answered",
              sinceRestart.elapsed());
        const auto erin = watcher.eventsFor(QStringLiteral("erin")).last();
        QVERIFY2(!erin.value(QStringLiteral("id")).toString().isEmpty(), "a correction has an id");
        QVERIFY2(!watcher.lastEventId().isEmpty(), "the event carried an id: line");
        QVERIFY(m_node->log().contains("re-reading the roster"));
        // frank did not change: not a word about him (a repeat would be a transition twice).
        QCOMPARE(watcher.eventsFor(QStringLiteral("frank")).size(), 1);

        // dave is not in the snapshot; the node handed him back (presence_restore: Redis lost
        // him, as far as it can tell) and, with nobody heartbeating him, he times out. Either
        // way the watcher ends where the shared roster is.
        openRedis();
        const QStringList clients = {QStringLiteral("erin"), QStringLiteral("frank"),
                                     QStringLiteral("dave")};
        QVERIFY2(
            QTest::qWaitFor([&] { return viewMatchesSharedRoster(watcher, clients); }, 10000),
            qPrintable(QStringLiteral("erin %1, dave %2 after %3 events")
                           .arg(lastStatus(watcher, clients[0]), lastStatus(watcher, clients[2]))
                           .arg(watcher.events().size() - eventsBefore)));
        QCOMPARE(lastStatus(watcher, QStringLiteral("erin")), QStringLiteral("ONLINE"));

        // A client that left before the rewind, resuming from an id the stream lost (entries
        // were written after it since, so the id is inside the stream's range): not a replay
        // of a story it was never told, but a roster with the truth.
        QVERIFY(!run({"XADD", "presence", "*", "client", "later", "status", "OFFLINE"}).isError());
        SseTestClient away;
        away.open(m_node->port(), "/away", lostId);
        QVERIFY(away.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE")));
        QVERIFY(away.waitForStatus(QStringLiteral("frank"), QStringLiteral("ONLINE")));
        QCOMPARE(away.eventsFor(QStringLiteral("erin")).first().value(QStringLiteral("snapshot")),
                 QJsonValue(true));
    }

    void sessionsAreCorrectedAfterTheStreamWasTrimmedPastTheNode()
    {
        connectOnOtherNode("erin");
        connectOnOtherNode("frank");
        SseTestClient watcher, latecomer;
        watcher.open(m_node->port(), "/watcher");
        QVERIFY(watcher.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE"), 10000));
        QVERIFY(watcher.waitForStatus(QStringLiteral("frank"), QStringLiteral("ONLINE")));
        // A session that joins after the change below but before the node noticed: its roster
        // is the node's stale copy, so it needs the corrections too.
        // While the node's command connection is down (killed below), writes it never hears
        // of: dave ONLINE, erin OFFLINE, and the stream trimmed past the node's position.
        QVERIFY(!run({"HSET", "presence:status", "dave", "ONLINE", "erin", "OFFLINE"}).isError());
        QVERIFY(!run({"ZREM", "presence:deadlines", "erin"}).isError());
        latecomer.open(m_node->port(), "/latecomer");
        QVERIFY(latecomer.waitForStatus(QStringLiteral("erin"), QStringLiteral("ONLINE")));
        const QByteArray past =
            QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 1000) + "-0";
        QVERIFY2(run({"XSETID", "presence", past, "MAXDELETEDID", past}).isOk(), "XSETID");
        int killed = 0;
        const QByteArray name = "name=presence:commands:" + nodeName.toUtf8() + ' ';
        for (const QByteArray &client : run({"CLIENT", "LIST"}).toByteArray().split('\n')) {
            if (client.contains(name))
                killed += int(run({"CLIENT", "KILL", "ID", client.mid(3, client.indexOf(' ') - 3)})
                                  .toInteger());
        }
        QCOMPARE(killed, 1);
        QElapsedTimer sinceKill;
        sinceKill.start();

        for (SseTestClient *session : {&watcher, &latecomer}) {
            QVERIFY(session->waitForEvent(
                [](const SseTestClient::Event &e) {
                    return isCorrection(e, QStringLiteral("erin"), QStringLiteral("OFFLINE"));
                },
                10000));
            QVERIFY(session->waitForEvent([](const SseTestClient::Event &e) {
                return isCorrection(e, QStringLiteral("dave"), QStringLiteral("ONLINE"));
            }));
            QCOMPARE(session->eventsFor(QStringLiteral("frank")).size(), 1);
        }
        qInfo("both sessions had their corrections %lld ms after the connection was killed",
              sinceKill.elapsed());
    }
};

QTEST_GUILESS_MAIN(TestRosterResync)
#include "tst_roster_resync.moc"
