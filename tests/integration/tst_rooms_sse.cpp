// Rooms over real sockets (issue 5): an in-process backend (memory engine) on a free port and
// SSE clients over QTcpSocket. Isolation between rooms, a client in two rooms, the default
// room unchanged, the room API and metrics, bad room names, and coalesced writes.
#include "HttpGet.h"
#include "SseTestClient.h"
#include "app/PresenceBackend.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QTest>

using namespace presence;
using presence::test::httpGet;
using presence::test::HttpResult;
using presence::test::SseTestClient;

namespace {
QHash<QString, qint64> onlineByRoom(const HttpResult &rooms)
{
    QHash<QString, qint64> counts;
    for (const QJsonValue &room : rooms.json().value(QStringLiteral("rooms")).toArray())
        counts.insert(room[QStringLiteral("room")].toString(), room[QStringLiteral("online")].toInteger());
    return counts;
}

bool mentions(const SseTestClient &client, const QString &who)
{
    return !client.eventsFor(who).isEmpty();
}
} // namespace

class TestRoomsSse : public QObject {
    Q_OBJECT

    std::unique_ptr<PresenceBackend> m_backend;
    quint16 m_port = 0;
    std::vector<std::unique_ptr<SseTestClient>> m_clients;

    SseTestClient *openStream(const QByteArray &pathAndQuery)
    {
        m_clients.push_back(std::make_unique<SseTestClient>());
        SseTestClient *client = m_clients.back().get();
        client->open(m_port, pathAndQuery);
        [&] { QVERIFY(client->waitForHeaders()); }();
        return client;
    }

private Q_SLOTS:
    void init()
    {
        Options options;
        options.headless = true;
        options.listenPort = 0;
        options.engine = EngineChoice::Memory;
        options.nodeId = QStringLiteral("rooms-node");
        options.timing = PresenceTiming{1000, 1.5, 0};
        m_backend = std::make_unique<PresenceBackend>(options);
        QString error;
        QVERIFY2(m_backend->start(&error), qPrintable(error));
        m_port = m_backend->port();
    }
    void cleanup()
    {
        m_clients.clear();
        m_backend.reset();
    }

    void roomsAreIsolated_eventsNameTheirRoom()
    {
        SseTestClient *alice = openStream("/alice?room=r1");
        SseTestClient *bob = openStream("/bob?room=r2");
        SseTestClient *carol = openStream("/carol?room=r1");
        QCOMPARE(carol->statusCode(), 200);
        QVERIFY(alice->waitForStatus(QStringLiteral("carol"), QStringLiteral("ONLINE")));
        // One stream, in order: had bob's ONLINE (earlier than carol's) leaked, it would be here.
        QVERIFY(!mentions(*alice, QStringLiteral("bob")));
        QCOMPARE(alice->eventsFor(QStringLiteral("carol")).first()[u"room"].toString(), QStringLiteral("r1"));
        QVERIFY(carol->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE"))); // snapshot
        QVERIFY(!mentions(*carol, QStringLiteral("bob")));
        bob->disconnectGracefully();
        carol->disconnectGracefully();
        QVERIFY(alice->waitForStatus(QStringLiteral("carol"), QStringLiteral("OFFLINE")));
        QVERIFY(!mentions(*alice, QStringLiteral("bob")));
    }

    void aClientInTwoRooms_leavingOneStaysOnlineInTheOther()
    {
        SseTestClient *alice = openStream("/alice?room=r1");
        SseTestClient *bob = openStream("/bob?room=r2");
        SseTestClient *both = openStream("/dave?room=r1&room=r2");
        // dave's snapshot holds both rooms, each row naming its room.
        QVERIFY(both->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        QVERIFY(both->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        QCOMPARE(both->eventsFor(QStringLiteral("bob")).first()[u"room"].toString(), QStringLiteral("r2"));
        QVERIFY(alice->waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        QVERIFY(bob->waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));

        // dave keeps r1 on another connection and closes the one holding both.
        SseTestClient *onlyR1 = openStream("/dave?room=r1");
        QCOMPARE(onlyR1->statusCode(), 200);
        both->disconnectGracefully();
        QVERIFY(bob->waitForStatus(QStringLiteral("dave"), QStringLiteral("OFFLINE")));
        const HttpResult r1 = httpGet(m_port, QStringLiteral("/api/rooms/r1/presence"));
        QCOMPARE(r1.status, 200);
        QCOMPARE(r1.json()[u"room"].toString(), QStringLiteral("r1"));
        QCOMPARE(r1.json()[u"online"].toInteger(), 2); // alice and dave
        QCOMPARE(alice->eventsFor(QStringLiteral("dave")).size(), 1); // never OFFLINE in r1
    }

    void theDefaultRoomIsTheGlobalRosterOfOld()
    {
        SseTestClient *plain = openStream("/alice");
        SseTestClient *named = openStream("/bob?room=default");
        SseTestClient *elsewhere = openStream("/carol?room=lobby");
        SseTestClient *late = openStream("/dave");
        QVERIFY(plain->waitForStatus(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        QVERIFY(plain->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        QVERIFY(named->waitForStatus(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        QVERIFY(late->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        QVERIFY(!mentions(*plain, QStringLiteral("carol")));
        QVERIFY(!mentions(*late, QStringLiteral("carol")));
        QVERIFY(!mentions(*elsewhere, QStringLiteral("alice")));
        // The seed's event shape: no room field in the default room.
        for (const SseTestClient::Event &event : plain->events())
            QVERIFY2(!event.json().contains(u"room"), event.data.constData());
        const HttpResult presence = httpGet(m_port, QStringLiteral("/api/rooms/default/presence"));
        QCOMPARE(presence.json()[u"online"].toInteger(), 3);
    }

    void apiPresenceHonoursRoomAndRefusesUnknownParameters()
    {
        openStream("/alice?room=r1");
        openStream("/bob?room=r2");
        auto clientsOf = [](const HttpResult &result) {
            QStringList names;
            for (const QJsonValue &row : result.json()[u"clients"].toArray())
                names.append(row[u"client"].toString() + QLatin1Char('@') +
                             row[u"room"].toString());
            names.sort();
            return names;
        };
        QTRY_COMPARE_WITH_TIMEOUT(
            httpGet(m_port, QStringLiteral("/api/presence")).json()[u"online"].toInteger(), 2,
            5000);
        const HttpResult r2 = httpGet(m_port, QStringLiteral("/api/presence?room=r2"));
        QCOMPARE(r2.status, 200);
        QCOMPARE(r2.json()[u"room"].toString(), QStringLiteral("r2"));
        QCOMPARE(clientsOf(r2), QStringList{QStringLiteral("bob@r2")});
        QCOMPARE(clientsOf(httpGet(m_port, QStringLiteral("/api/presence"))),
                 (QStringList{QStringLiteral("alice@r1"), QStringLiteral("bob@r2")}));
        QCOMPARE(clientsOf(httpGet(m_port, QStringLiteral("/api/presence?room=default"))),
                 QStringList{});
        QCOMPARE(clientsOf(httpGet(m_port, QStringLiteral("/api/presence?room=nobody-here"))),
                 QStringList{});

        const HttpResult typo = httpGet(m_port, QStringLiteral("/api/presence?rooms=r2"));
        QCOMPARE(typo.status, 400);
        QVERIFY2(typo.json()[u"error"].toString().contains(u"unknown parameter \"rooms\""),
                 typo.body.constData());
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/presence?room=a%2Fb")).status, 400);
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/presence?room=r1&room=r2")).status, 400);
    }

    void badRoomsAreRefusedWithTheRule()
    {
        const HttpResult slash = httpGet(m_port, QStringLiteral("/alice?room=a%2Fb"));
        QCOMPARE(slash.status, 400);
        QVERIFY2(slash.json()[u"error"].toString().contains(u"invalid room name"), slash.body.constData());
        QCOMPARE(httpGet(m_port, QStringLiteral("/alice?room=")).status, 400);
        QString many = QStringLiteral("/alice?");
        for (int i = 0; i < 17; ++i)
            many += QStringLiteral("room=r%1&").arg(i);
        const HttpResult tooMany = httpGet(m_port, many);
        QCOMPARE(tooMany.status, 400);
        QVERIFY2(tooMany.json()[u"error"].toString().contains(u"at most 16 rooms"), tooMany.body.constData());
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/rooms/a%20b/presence")).status, 400);
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/rooms/r1/other")).status, 404);
        QCOMPARE(httpGet(m_port, QStringLiteral("/api/rooms/r1")).status, 404);
        // Nothing was opened by any of these.
        QCOMPARE(m_backend->realtime().sessionCount(), 0);
        QCOMPARE(httpGet(m_port, QStringLiteral("/health")).status, 200);
    }

    void occupancyStaysRightUnderChurn()
    {
        // 45 clients over 3 rooms, then a random third leave; the counts follow, in the API
        // and in /metrics.
        QHash<QString, qint64> expected;
        QList<QPair<SseTestClient *, QString>> open;
        for (int i = 0; i < 45; ++i) {
            const QString room = QStringLiteral("r%1").arg(i % 3);
            open.append({openStream(QStringLiteral("/c%1?room=%2").arg(i).arg(room).toUtf8()), room});
            ++expected[room];
        }
        QRandomGenerator random(20261128);
        SseTestClient *watcher = openStream("/watcher?room=r0&room=r1&room=r2");
        for (int left = 0; left < 15; ++left) {
            const auto [client, room] = open.takeAt(random.bounded(open.size()));
            client->disconnectGracefully();
            --expected[room];
        }
        qint64 offline = 0;
        QVERIFY(QTest::qWaitFor([&] {
            offline = 0;
            for (const SseTestClient::Event &event : watcher->events())
                offline += event.json()[u"status"].toString() == u"OFFLINE";
            return offline == 15;
        }, 10000));
        QHash<QString, qint64> counts = onlineByRoom(httpGet(m_port, QStringLiteral("/api/rooms")));
        for (auto it = expected.cbegin(); it != expected.cend(); ++it)
            QCOMPARE(counts.value(it.key()), it.value() + 1); // + the watcher
        const QByteArray metrics = httpGet(m_port, QStringLiteral("/metrics")).body;
        QVERIFY(metrics.contains("presence_rooms 4\n")); // r0–r2 and the (empty) default room
        QVERIFY2(metrics.contains("presence_room_online_clients{room=\"r0\"} "
                                  + QByteArray::number(expected[QStringLiteral("r0")] + 1) + '\n'),
                 metrics.constData());
    }

    void changesReachingASessionTogetherShareOneWrite()
    {
        SseTestClient *watcher = openStream("/watcher?room=storm");
        const quint64 writesBefore = m_backend->metrics().eventWrites;
        const quint64 sentBefore = m_backend->metrics().eventsSent;
        // 50 joins in one pass of the event loop (what a batch read from the presence stream
        // delivers): one write to the watcher, 50 events in it, each with its id.
        const RoomName storm = *RoomName::fromString(u"storm");
        for (int i = 0; i < 50; ++i)
            m_backend->engine().setConnections(
                RoomMember{storm, *ClientId::fromString(QStringLiteral("s%1").arg(i))}, 1);
        QVERIFY(QTest::qWaitFor([&] { return watcher->events().size() >= 50; }, 5000));
        QCOMPARE(m_backend->metrics().eventsSent - sentBefore, quint64(50));
        QCOMPARE(m_backend->metrics().eventWrites - writesBefore, quint64(1));
        QSet<QByteArray> ids;
        for (const SseTestClient::Event &event : watcher->events())
            ids.insert(event.id);
        QCOMPARE(ids.size(), 50);
    }
};

QTEST_GUILESS_MAIN(TestRoomsSse)
#include "tst_rooms_sse.moc"
