// presence --observe against a live deployment: one real redis-server, two real headless
// nodes, and the real binary as the observer (its JSON lines on stdout). Each observer must
// show the truth (a join on a node appears, a leave goes OFFLINE) and leave nothing of itself
// in Redis: no consumer, no node key, no function loaded, no setting changed, no write at all
// (it runs as a Redis user allowed only reads: any other command would be in ACL LOG), and no
// listening socket.

#include "NodeProcess.h"
#include "ObserverProcess.h"
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"
#include "HttpGet.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

#include <memory>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::ObserverProcess;
using presence::test::isChange;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;
using presence::test::runCommand;

namespace {
const QByteArray adminToken = "observer-test-admin-token-0123456789";
const QByteArray watcherPassword = "watcher-password";

// What a deployment's Redis holds of its participants, to compare before and after.
struct RedisState {
    QStringList clients;   // "name user sub psub" of every connection
    QStringList consumers; // of the processors' group
    QByteArray functions;  // FUNCTION LIST WITHCODE, as text
    QByteArray keyspaceFlags;
    QStringList keys;
};

QString text(const RedisReply &reply)
{
    QStringList parts;
    if (reply.type() == RedisReply::Type::Array) {
        for (const RedisReply &element : reply.elements())
            parts.append(text(element));
        return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
    }
    return QString::fromUtf8(reply.toByteArray());
}

QString field(const QString &clientLine, const QString &name)
{
    for (const QString &part : clientLine.split(QLatin1Char(' '))) {
        if (part.startsWith(name + QLatin1Char('=')))
            return part.mid(name.size() + 1);
    }
    return {};
}

bool isSnapshot(const QJsonObject &line) { return line.value(QStringLiteral("snapshot")).toBool(); }

} // namespace

class ObserverTest : public QObject {
    Q_OBJECT

    RedisTestServer m_redis;
    std::unique_ptr<RedisConnection> m_admin;
    NodeProcess m_nodeA;
    NodeProcess m_nodeB;
    SseTestClient m_carol; // present on node B before any observer comes

    QProcessEnvironment nodeEnvironment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_ADMIN_TOKEN"), QString::fromLatin1(adminToken));
        return env;
    }
    QStringList nodeArgs(const QString &name) const
    {
        return {QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:%1").arg(m_redis.port()), QStringLiteral("--heartbeat"),
                QStringLiteral("500ms"), QStringLiteral("--grace"), QStringLiteral("0s"),
                QStringLiteral("--node-id"), name};
    }
    QString watcherUrl() const
    {
        return QStringLiteral("redis://watcher:%1@127.0.0.1:%2")
            .arg(QString::fromLatin1(watcherPassword))
            .arg(m_redis.port());
    }

    RedisState readState()
    {
        RedisState state;
        for (const QString &line : QString::fromUtf8(runCommand(*m_admin, {"CLIENT", "LIST"}).toByteArray())
                                       .split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const QString name = field(line, QStringLiteral("name"));
            if (name.isEmpty())
                continue; // this test's own admin connection
            state.clients.append(QStringList{name, field(line, QStringLiteral("user")),
                                             field(line, QStringLiteral("sub")),
                                             field(line, QStringLiteral("psub"))}
                                     .join(QLatin1Char(' ')));
        }
        state.clients.sort();
        const RedisReply consumers =
            runCommand(*m_admin, {"XINFO", "CONSUMERS", "heartbeat", "presence-processors"});
        for (const RedisReply &consumer : consumers.elements())
            state.consumers.append(QString::fromUtf8(consumer.elements().value(1).toByteArray()));
        state.consumers.sort();
        state.functions = text(runCommand(*m_admin, {"FUNCTION", "LIST", "WITHCODE"})).toUtf8();
        const RedisReply flags = runCommand(*m_admin, {"CONFIG", "GET", "notify-keyspace-events"});
        state.keyspaceFlags = flags.elements().value(1).toByteArray();
        const RedisReply keys = runCommand(*m_admin, {"KEYS", "*"});
        for (const RedisReply &key : keys.elements())
            state.keys.append(QString::fromUtf8(key.toByteArray()));
        return state;
    }

    // The observer's connections ("name user sub psub"), which must be the only new ones.
    static QStringList added(const RedisState &before, const RedisState &after)
    {
        QStringList extra = after.clients;
        for (const QString &client : before.clients)
            extra.removeOne(client);
        return extra;
    }

    QJsonObject adminGet(quint16 port, const QString &path)
    {
        QNetworkAccessManager manager;
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        request.setRawHeader("Authorization", "Bearer " + adminToken);
        QNetworkReply *reply = manager.get(request);
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000))
            qWarning("no answer from %s", qPrintable(path));
        const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
        delete reply;
        return answer;
    }

    void assertNothingOfTheObserver(ObserverProcess &observer, const RedisState &before,
                                    const QStringList &expectedConnections)
    {
        const RedisState after = readState();
        QCOMPARE(added(before, after), expectedConnections);
        // Consumers are made on a node's first delivery, so node-a may join meanwhile; no other.
        QVERIFY2(!after.consumers.isEmpty(),
                 qPrintable(text(runCommand(*m_admin, {"XINFO", "CONSUMERS", "heartbeat", "presence-processors"}))));
        for (const QString &consumer : after.consumers)
            QVERIFY2(consumer == u"node-a" || consumer == u"node-b", qPrintable(consumer));
        QCOMPARE(after.functions, before.functions);
        QCOMPARE(after.keyspaceFlags, before.keyspaceFlags);
        const QString pid = QString::number(observer.pid());
        for (const QString &key : after.keys) {
            QVERIFY2(!key.contains(pid) && !key.contains(u"observer"), qPrintable(key));
            if (key.startsWith(u"presence:node:"))
                QVERIFY2(key == u"presence:node:node-a" || key == u"presence:node:node-b", qPrintable(key));
        }
        // Every command the watcher user was refused is logged: none means none was tried.
        QCOMPARE(text(runCommand(*m_admin, {"ACL", "LOG"})), QStringLiteral("[]"));
        QVERIFY(observer.descriptorCount() > 0);
        QCOMPARE(observer.listeningSockets(), QStringList());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        m_admin = std::make_unique<RedisConnection>(m_redis.url());
        m_admin->open();
        QVERIFY(test::waitUntilUp(*m_admin));
        // The README's read-only user: reads, the read-only function, and the handshake.
        QCOMPARE(runCommand(*m_admin, {"ACL", "SETUSER", "watcher", "on", ">" + watcherPassword, "~*",
                                       "&*", "-@all", "+@read", "+fcall_ro", "+time", "+ping",
                                       "+select", "+client|setname"})
                     .toByteArray(),
                 QByteArray("OK"));
        QVERIFY2(m_nodeA.start(nodeArgs(QStringLiteral("node-a")), nodeEnvironment()), m_nodeA.log().constData());
        QVERIFY2(m_nodeB.start(nodeArgs(QStringLiteral("node-b")), nodeEnvironment()), m_nodeB.log().constData());
        for (NodeProcess *node : {&m_nodeA, &m_nodeB})
            QVERIFY2(QTest::qWaitFor([node] { return test::httpGet(node->port(), QStringLiteral("/health")).status == 200; },
                                     15000),
                     node->log().constData());
        m_carol.open(m_nodeB.port(), "/carol");
        QVERIFY(QTest::qWaitFor(
            [this] {
                return runCommand(*m_admin, {"HGET", "presence:status", "carol"}).toByteArray() == "ONLINE";
            },
            10000));
        // Carol's heartbeats reach a processor: its consumer exists (made on first delivery).
        QVERIFY(QTest::qWaitFor(
            [this] {
                const RedisReply consumers =
                    runCommand(*m_admin, {"XINFO", "CONSUMERS", "heartbeat", "presence-processors"});
                return !consumers.elements().isEmpty();
            },
            10000));
    }

    void redisObserverChangesNothingAndShowsTheTruth()
    {
        QCOMPARE(runCommand(*m_admin, {"ACL", "LOG", "RESET"}).toByteArray(), QByteArray("OK"));
        const RedisState before = readState();
        ObserverProcess observer;
        observer.start({QStringLiteral("--headless"), QStringLiteral("--redis"), watcherUrl()});

        // The roster first, each row a snapshot: carol, present before it came.
        QVERIFY2(observer.waitForLine([](const QJsonObject &line) {
            return isSnapshot(line) && line.value(QStringLiteral("client")).toString() == u"carol";
        }), observer.stderrText().constData());
        const QJsonObject first = observer.lines().first();
        QVERIFY(isSnapshot(first));
        QCOMPARE(first.value(QStringLiteral("status")).toString(), QStringLiteral("ONLINE"));

        SseTestClient alice;
        alice.open(m_nodeA.port(), "/alice?room=lobby");
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("alice"), QStringLiteral("ONLINE"))),
                 observer.stderrText().constData());
        const auto lines = observer.lines();
        const QJsonObject joined = *std::find_if(lines.begin(), lines.end(),
                                                 isChange(QStringLiteral("alice"), QStringLiteral("ONLINE")));
        QCOMPARE(joined.value(QStringLiteral("room")).toString(), QStringLiteral("lobby"));
        QCOMPARE(joined.value(QStringLiteral("reason")).toString(), QStringLiteral("connected"));
        QCOMPARE(joined.value(QStringLiteral("node")).toString(), QStringLiteral("node-a"));
        QVERIFY(joined.value(QStringLiteral("at")).toDouble() > 0);
        QVERIFY(EventId::parse(joined.value(QStringLiteral("id")).toString().toLatin1()).has_value());

        alice.abort();
        QVERIFY(observer.waitForLine(isChange(QStringLiteral("alice"), QStringLiteral("OFFLINE"))));

        const RedisState after = readState();
        QStringList expected;
        for (const QString &client : added(before, after))
            if (client.startsWith(u"presence-observer:"))
                expected.append(client);
        QCOMPARE(expected.size(), 2); // the commands connection and the presence reader
        for (const QString &client : expected) {
            QVERIFY2(client.endsWith(QStringLiteral(" watcher 0 0")), qPrintable(client));
            QVERIFY2(client.contains(QString::number(observer.pid())), qPrintable(client));
        }
        assertNothingOfTheObserver(observer, before, expected);

        observer.terminate();
        QCOMPARE(observer.waitForExit(), 0);
    }

    void httpObserverWatchesThroughANode()
    {
        // The stream itself: admin-only, the roster then "synced".
        SseTestClient anonymous;
        anonymous.open(m_nodeB.port(), "/api/events");
        QVERIFY(anonymous.waitForHeaders());
        QCOMPARE(anonymous.statusCode(), 401);

        QCOMPARE(runCommand(*m_admin, {"ACL", "LOG", "RESET"}).toByteArray(), QByteArray("OK"));
        const RedisState before = readState();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_ADMIN_TOKEN"), QString::fromLatin1(adminToken));
        ObserverProcess observer;
        observer.start({QStringLiteral("http://127.0.0.1:%1").arg(m_nodeB.port()), QStringLiteral("--headless")}, env);
        QVERIFY2(observer.waitForLine([](const QJsonObject &line) {
            return isSnapshot(line) && line.value(QStringLiteral("client")).toString() == u"carol";
        }), observer.stderrText().constData());

        SseTestClient dave;
        dave.open(m_nodeA.port(), "/dave");
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("dave"), QStringLiteral("ONLINE"))),
                 observer.stderrText().constData());
        const auto lines = observer.lines();
        const QJsonObject joined = *std::find_if(lines.begin(), lines.end(),
                                                 isChange(QStringLiteral("dave"), QStringLiteral("ONLINE")));
        QCOMPARE(joined.value(QStringLiteral("node")).toString(), QStringLiteral("node-a"));
        QVERIFY(!joined.contains(QStringLiteral("room"))); // the default room has no room field
        dave.abort();
        QVERIFY(observer.waitForLine(isChange(QStringLiteral("dave"), QStringLiteral("OFFLINE"))));

        // The node's roster holds the real clients only: watching made no one present.
        const QJsonArray roster = adminGet(m_nodeB.port(), QStringLiteral("/api/presence"))
                                      .value(QStringLiteral("clients"))
                                      .toArray();
        QVERIFY(!roster.isEmpty());
        for (const QJsonValue &row : roster) {
            const QString client = row.toObject().value(QStringLiteral("client")).toString();
            QVERIFY2(client == u"carol" || client == u"alice" || client == u"dave", qPrintable(client));
        }
        // Through a node, the observer touches no Redis at all.
        assertNothingOfTheObserver(observer, before, {});
        observer.terminate();
        QCOMPARE(observer.waitForExit(), 0);
    }

    void aWrongOrMissingTokenIsToldAndEndsTheWatch()
    {
        for (const QString &token : {QStringLiteral("not-the-admin-token-at-all"), QString()}) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("PRESENCE_ADMIN_TOKEN"));
            if (!token.isEmpty())
                env.insert(QStringLiteral("PRESENCE_ADMIN_TOKEN"), token);
            ObserverProcess observer;
            observer.start({QStringLiteral("http://127.0.0.1:%1").arg(m_nodeB.port()), QStringLiteral("--headless")}, env);
            QCOMPARE(observer.waitForExit(), 1);
            QVERIFY2(observer.stderrText().contains("refused the admin token"), observer.stderrText().constData());
            QVERIFY(observer.lines().isEmpty());
        }
    }

    void badObserveInputIsRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("not http") << QStringList{QStringLiteral("ftp://127.0.0.1:1")} << QByteArray("expected a node's address");
        QTest::newRow("a path") << QStringList{QStringLiteral("http://127.0.0.1:1/api")} << QByteArray("expected a node's address");
        QTest::newRow("no target") << QStringList{} << QByteArray("needs the deployment's Redis");
        QTest::newRow("both") << QStringList{QStringLiteral("http://127.0.0.1:1"), QStringLiteral("--redis"), QStringLiteral("redis://127.0.0.1:1")}
                              << QByteArray("not both");
        QTest::newRow("bad redis") << QStringList{QStringLiteral("--redis"), QStringLiteral("mysql://x")} << QByteArray("--redis");
    }
    void badObserveInputIsRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        ObserverProcess observer;
        observer.start(args + QStringList{QStringLiteral("--headless")});
        const int code = observer.waitForExit();
        QVERIFY2(code == 1 || code == 2, qPrintable(QString::number(code)));
        QVERIFY2(observer.stderrText().contains(message), observer.stderrText().constData());
    }

    void aNodeGoingAwayIsToldAndTheWatchResumes()
    {
        auto node = std::make_unique<NodeProcess>();
        const QStringList args{QStringLiteral("--backend"), QStringLiteral("memory"),
                               QStringLiteral("--grace"), QStringLiteral("0s")};
        QVERIFY2(node->start(args, nodeEnvironment()), node->log().constData());
        const quint16 port = node->port();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_ADMIN_TOKEN"), QString::fromLatin1(adminToken));
        ObserverProcess observer;
        observer.start({QStringLiteral("http://127.0.0.1:%1").arg(port), QStringLiteral("--headless")}, env);
        QVERIFY2(QTest::qWaitFor([&] { return observer.stderrText().contains("roster read"); }, 10000),
                 observer.stderrText().constData());

        node->kill9();
        QVERIFY(node->waitForExit() != -1);
        QVERIFY2(QTest::qWaitFor([&] { return observer.stderrText().contains("retrying"); }, 10000),
                 observer.stderrText().constData());
        QVERIFY(observer.isRunning());

        // A node back on the same address: the watch resumes and shows what happens there.
        node = std::make_unique<NodeProcess>();
        QVERIFY2(node->start(args + QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)},
                             nodeEnvironment()),
                 node->log().constData());
        QVERIFY2(QTest::qWaitFor([&] { return observer.stderrText().count("roster read") == 2; }, 15000),
                 observer.stderrText().constData());
        SseTestClient erin;
        erin.open(port, "/erin");
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("erin"), QStringLiteral("ONLINE"))),
                 observer.stderrText().constData());
        observer.terminate();
        QCOMPARE(observer.waitForExit(), 0);
    }
};

QTEST_GUILESS_MAIN(ObserverTest)
#include "tst_observer.moc"
