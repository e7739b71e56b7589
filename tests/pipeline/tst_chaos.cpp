// Chaos with a checker: three real nodes and one real redis-server, churning clients spread
// over rooms (the default room, "ra", and both "ra" and "rb"), nodes killed with SIGKILL and
// restarted, nodes paused past the TTL (SIGSTOP/SIGCONT), Redis restarted (losing everything),
// Redis hung past the reply deadline (SIGSTOP), one node with another heartbeat period than the
// rest — at random moments, from a seed that is printed so a failure can be replayed. After
// things settle:
//   - every viewer's view equals the ground truth the simulation knows, per (room, client)
//     (nothing missing, no client ONLINE after it is gone, nobody seen outside its rooms), and
//   - no viewer was told the same status twice in a row for a member (nothing duplicated).
// PRESENCE_CHAOS_SECONDS sets the length (the CI variant is short), PRESENCE_CHAOS_SEED the seed.
#include "NodeProcess.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QTest>
#include <csignal>
#include <cstdio>
#include <map>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {
constexpr int nodeCount = 3;
constexpr int clientCount = 12;
const QString heartbeat = QStringLiteral("300ms"); // ttl 450 ms
const QString otherHeartbeat = QStringLiteral("700ms"); // the last node's: ttl 1,050 ms

const QStringList allRooms = {QStringLiteral("default"), QStringLiteral("ra"), QStringLiteral("rb")};

struct SimClient {
    QString name;
    QStringList rooms;
    std::unique_ptr<SseTestClient> connection;
    int node = -1; // which node it is connected to, -1: none

    QByteArray path() const
    {
        QByteArray path = "/" + name.toUtf8();
        for (qsizetype i = 0; i < rooms.size(); ++i)
            path += (i == 0 ? "?room=" : "&room=") + rooms[i].toUtf8();
        return path;
    }
};

// Client i is in the default room, in "ra", or in both "ra" and "rb".
QStringList roomsOf(int i)
{
    switch (i % 3) {
    case 0: return {QStringLiteral("default")};
    case 1: return {QStringLiteral("ra")};
    default: return {QStringLiteral("ra"), QStringLiteral("rb")};
    }
}

// The last status each member ("room/client") was reported with, replaying a viewer's events;
// also counts repeats (the same status twice in a row for one member).
std::map<QString, QString> replay(const SseTestClient &viewer, int *repeats)
{
    std::map<QString, QString> last;
    for (const auto &event : viewer.events()) {
        const QJsonObject json = event.json();
        const QString client = json.value(QStringLiteral("room")).toString(QStringLiteral("default"))
                               + u'/' + json.value(QStringLiteral("client")).toString();
        const QString status = json.value(QStringLiteral("status")).toString();
        const bool snapshot = json.value(QStringLiteral("snapshot")).toBool();
        const auto found = last.find(client);
        if (!snapshot && found != last.end() && found->second == status)
            ++*repeats;
        last[client] = status;
    }
    return last;
}
} // namespace

class TestChaos : public QObject {
    Q_OBJECT

    RedisTestServer m_redis;
    std::unique_ptr<NodeProcess> m_nodes[nodeCount];
    std::vector<SimClient> m_clients;
    QRandomGenerator m_random;
    int m_kills = 0, m_redisRestarts = 0, m_joins = 0, m_leaves = 0, m_nodePauses = 0,
        m_redisPauses = 0;

    bool startNode(int index)
    {
        m_nodes[index] = std::make_unique<NodeProcess>();
        return m_nodes[index]->start(
            {QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(m_redis.port()),
             QStringLiteral("--node-id"), QStringLiteral("chaos-%1").arg(index),
             QStringLiteral("--heartbeat"), index == nodeCount - 1 ? otherHeartbeat : heartbeat,
             QStringLiteral("--grace"), QStringLiteral("0s")});
    }

    void step()
    {
        const quint32 dice = m_random.bounded(100u);
        SimClient &client = m_clients[m_random.bounded(quint32(m_clients.size()))];
        if (dice < 55) {
            if (client.node >= 0)
                return;
            const int node = int(m_random.bounded(quint32(nodeCount)));
            client.connection = std::make_unique<SseTestClient>();
            client.connection->open(m_nodes[node]->port(), client.path());
            client.node = node;
            ++m_joins;
        } else if (dice < 88) {
            if (client.node < 0)
                return;
            client.connection->disconnectGracefully();
            client.node = -1;
            ++m_leaves;
        } else if (dice < 93) {
            // kill -9 a node: its clients lose their connections; it comes back on a new port.
            const int node = int(m_random.bounded(quint32(nodeCount)));
            m_nodes[node]->kill9();
            m_nodes[node]->waitForExit();
            for (SimClient &c : m_clients) {
                if (c.node == node)
                    c.node = -1;
            }
            QVERIFY2(startNode(node), m_nodes[node]->log().constData());
            ++m_kills;
        } else if (dice < 97) {
            // A node paused past its TTL and node key (a GC pause, a frozen VM): its clients
            // time out meanwhile, and must be ONLINE again once it resumes.
            const int node = int(m_random.bounded(quint32(nodeCount)));
            m_nodes[node]->signal(SIGSTOP);
            QTest::qWait(int(2200 + m_random.bounded(800u)));
            m_nodes[node]->signal(SIGCONT);
            ++m_nodePauses;
        } else if (dice < 99) {
            QVERIFY2(m_redis.restart(), qPrintable(m_redis.errorString()));
            ++m_redisRestarts;
        } else {
            // Redis hung past the reply deadline (3 s): every node drops and reconnects.
            QVERIFY2(m_redis.pause(), qPrintable(m_redis.errorString()));
            QTest::qWait(int(3500 + m_random.bounded(1000u)));
            QVERIFY2(m_redis.resume(), qPrintable(m_redis.errorString()));
            ++m_redisPauses;
        }
    }

private Q_SLOTS:
    void viewsConvergeToTheTruth()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        const quint32 seed = qEnvironmentVariableIsSet("PRESENCE_CHAOS_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("PRESENCE_CHAOS_SEED"))
                                 : QRandomGenerator::global()->generate();
        const int seconds = qEnvironmentVariableIsSet("PRESENCE_CHAOS_SECONDS")
                                ? qEnvironmentVariableIntValue("PRESENCE_CHAOS_SECONDS")
                                : 20;
        m_random.seed(seed);
        qInfo("chaos seed %u, %d s (replay: PRESENCE_CHAOS_SEED=%u)", seed, seconds, seed);
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        for (int i = 0; i < nodeCount; ++i)
            QVERIFY2(startNode(i), m_nodes[i]->log().constData());
        for (int i = 0; i < clientCount; ++i)
            m_clients.push_back(SimClient{QStringLiteral("sim%1").arg(i), roomsOf(i), nullptr, -1});

        const QDateTime end = QDateTime::currentDateTime().addSecs(seconds);
        while (QDateTime::currentDateTime() < end) {
            step();
            if (QTest::currentTestFailed())
                return;
            QTest::qWait(int(50 + m_random.bounded(250u)));
        }

        // Settle: every node up and ready, then a few TTLs for timeouts to land.
        for (int i = 0; i < nodeCount; ++i) {
            QVERIFY(QTest::qWaitFor(
                [&] {
                    SseTestClient health;
                    health.open(m_nodes[i]->port(), "/health");
                    return health.waitForHeaders(2000)
                           && QTest::qWaitFor([&] { return health.body().contains("\"status\":\"ok\""); }, 500);
                },
                20000));
        }
        QTest::qWait(3000);

        // The truth per member ("room/client"); a client is never seen in a room it is not in.
        std::map<QString, QString> truth;
        for (const SimClient &c : m_clients) {
            for (const QString &room : allRooms) {
                const bool online = c.node >= 0 && c.rooms.contains(room);
                truth[room + u'/' + c.name] = online ? QStringLiteral("ONLINE") : QStringLiteral("OFFLINE");
            }
        }

        // A fresh viewer in every room on every node sees exactly who is connected where.
        int checkedViews = 0;
        for (int i = 0; i < nodeCount; ++i) {
            SseTestClient viewer;
            viewer.open(m_nodes[i]->port(), "/viewer" + QByteArray::number(i) + "?room=default&room=ra&room=rb");
            QVERIFY(viewer.waitForHeaders());
            QTest::qWait(300);
            int repeats = 0;
            const auto seen = replay(viewer, &repeats);
            for (const auto &[name, status] : truth) {
                const auto found = seen.find(name);
                const QString shown = found == seen.end() ? QStringLiteral("OFFLINE") : found->second;
                QVERIFY2(shown == status, qPrintable(QStringLiteral("node %1 shows %2 as %3, truth %4 (seed %5)")
                                                         .arg(i).arg(name, shown, status).arg(seed)));
            }
            ++checkedViews;
        }
        // Every client still connected has a consistent, duplicate-free view of the others.
        int transitionsChecked = 0;
        for (const SimClient &c : m_clients) {
            if (c.node < 0)
                continue;
            int repeats = 0;
            const auto seen = replay(*c.connection, &repeats);
            transitionsChecked += int(c.connection->events().size());
            QVERIFY2(repeats == 0, qPrintable(QStringLiteral("%1 was told the same status twice in a row %2 times (seed %3)")
                                                  .arg(c.name).arg(repeats).arg(seed)));
            for (const auto &[name, status] : truth) {
                const QString room = name.section(u'/', 0, 0);
                if (name.section(u'/', 1) == c.name || !c.rooms.contains(room))
                    continue;
                const auto found = seen.find(name);
                const QString shown = found == seen.end() ? QStringLiteral("OFFLINE") : found->second;
                QVERIFY2(shown == status, qPrintable(QStringLiteral("%1 sees %2 as %3, truth %4 (seed %5)")
                                                         .arg(c.name, name, shown, status).arg(seed)));
            }
            ++checkedViews;
        }
        std::fprintf(stderr,
                     "chaos: seed %u, %d s, %d joins, %d leaves, %d node kills, %d node pauses, "
                     "%d redis restarts, %d redis pauses, %d views and %d events checked, "
                     "0 discrepancies\n",
                     seed, seconds, m_joins, m_leaves, m_kills, m_nodePauses, m_redisRestarts,
                     m_redisPauses, checkedViews, transitionsChecked);
    }
};

QTEST_GUILESS_MAIN(TestChaos)
#include "tst_chaos.moc"
