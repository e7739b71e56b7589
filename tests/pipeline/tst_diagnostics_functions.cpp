// The library's part of the nodes view and the alerts (presence_alive's record, the timeouts'
// lateness, presence_diagnostics) against a real redis-server, with a prefix, and the key names
// RedisKeys gives being the ones the functions write.
#include "PresenceFunctionsFixture.h"
#include "redis/DiagnosticsReply.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace presence;

class TestDiagnosticsFunctions : public presence::test::PresenceFunctionsFixture {
    Q_OBJECT
    const RedisKeys m_keys{"pfx:"};

    RedisReply alive(const QByteArray &node, qint64 ttl, const QByteArray &record = {})
    {
        QList<QByteArray> args{"FCALL", "presence_alive",       "0", m_keys.prefix,
                               node,    QByteArray::number(ttl)};
        if (!record.isNull())
            args << record;
        return run(args);
    }
    EngineDiagnostics read()
    {
        EngineDiagnostics d;
        const RedisReply reply = run(diagnosticsCommand(m_keys));
        if (!parseDiagnosticsReply(reply, d))
            qWarning() << "presence_diagnostics:" << reply.toByteArray();
        return d;
    }

private Q_SLOTS:
    void initTestCase() { startServer(); }
    void init() { loadLibraryAfresh(); }

    void aliveStoresTheRecordWhereRedisKeysSays()
    {
        NodeRecord record;
        record.version = QStringLiteral("9.9");
        record.startedAtMs = 1234;
        record.sessions = 7;
        record.members = 5;
        record.heartbeatsPerSecond = 2.5;
        record.roundTripMs = 3;
        const qint64 now = alive("n1", 60000, record.toJson()).toInteger();
        QVERIFY(now > 0);
        QCOMPARE(run({"EXISTS", m_keys.node("n1")}).toInteger(), 1);
        QVERIFY(run({"ZSCORE", m_keys.nodes(), "n1"}).toInteger() >= now + 60000);
        const QJsonObject stored =
            QJsonDocument::fromJson(run({"HGET", m_keys.nodeRecords(), "n1"}).toByteArray())
                .object();
        QCOMPARE(stored.value(QStringLiteral("sessions")).toInt(), 7);
        QCOMPARE(stored.value(QStringLiteral("seen")).toInteger(), now); // stamped in Redis' time

        QVERIFY(!alive("n2", 60000, "not json").isError()); // an old or broken writer: no record
        QCOMPARE(run({"HEXISTS", m_keys.nodeRecords(), "n2"}).toInteger(), 0);
        QVERIFY(!alive("n3", 60000).isError()); // a v5 caller, without a record
        alive("gone", 1);
        // An hour-old entry goes with its record at the next alive.
        run({"ZADD", m_keys.nodes(), QByteArray::number(now - 3600001), "gone"});
        alive("n1", 60000, record.toJson());
        QCOMPARE(run({"HEXISTS", m_keys.nodeRecords(), "gone"}).toInteger(), 0);

        const EngineDiagnostics d = read();
        QCOMPARE(d.nodes.size(), 3);
        const NodeStatus *n1 = d.findNode(QStringLiteral("n1"));
        QVERIFY(n1 && n1->alive);
        QCOMPARE(n1->version, QStringLiteral("9.9"));
        QCOMPARE(n1->startedAtMs, 1234);
        QCOMPARE(n1->members, 5);
        QCOMPARE(n1->heartbeatsPerSecond, 2.5);
        QCOMPARE(n1->roundTripMs, 3);
        const NodeStatus *n3 = d.findNode(QStringLiteral("n3"));
        QVERIFY(n3 && n3->alive);
        QCOMPARE(n3->sessions, -1); // published nothing
    }

    void aDeadNodeStaysListedWithWhenItStopped()
    {
        const qint64 seen = alive("short", 100, NodeRecord{}.toJson()).toInteger();
        alive("long", 60000, NodeRecord{}.toJson());
        EngineDiagnostics d;
        QVERIFY(QTest::qWaitFor(
            [&] {
                d = read();
                const NodeStatus *n = d.findNode(QStringLiteral("short"));
                return n && !n->alive;
            },
            5000));
        QCOMPARE(d.nodes.first().id, QStringLiteral("long")); // alive first
        const NodeStatus *dead = d.findNode(QStringLiteral("short"));
        QCOMPARE(dead->lastSeenMs, seen);
        QCOMPARE(dead->expiresAtMs, seen + 100);
    }

    void timeoutsRecordTheirLateness_andConsumersTheirNode()
    {
        alive("live", 60000, NodeRecord{}.toJson());
        run({"XGROUP", "CREATE", m_keys.heartbeatStream(), m_keys.processorGroup(), "$",
             "MKSTREAM"});
        run({"XGROUP", "CREATECONSUMER", m_keys.heartbeatStream(), m_keys.processorGroup(),
             "live"});
        run({"XGROUP", "CREATECONSUMER", m_keys.heartbeatStream(), m_keys.processorGroup(),
             "ghost"});
        run({"XADD", m_keys.heartbeatStream(), "*", "client", "x"});
        run({"XREADGROUP", "GROUP", m_keys.processorGroup(), "ghost", "STREAMS",
             m_keys.heartbeatStream(), ">"});
        // Two members whose deadline is 1 ms away; swept 200 ms later: about 200 ms late.
        for (const char *client : {"a", "b"})
            run({"FCALL", "presence_connect", "0", m_keys.prefix, "1000", "100", "1", "live",
                 client, "1"});
        QTest::qWait(200); // the lateness to be measured, not a synchronisation
        QCOMPARE(run({"FCALL", "presence_sweep", "0", m_keys.prefix, "1000", "100", "live", "1000"})
                     .elements()
                     .value(0)
                     .toInteger(),
                 2);
        QCOMPARE(run({"LLEN", m_keys.timeouts()}).toInteger(), 2);

        const EngineDiagnostics d = read();
        QCOMPARE(d.timeoutsRecent, 2);
        QCOMPARE(d.latenessSamples, 2);
        QVERIFY2(d.latenessP99Ms >= 190 && d.latenessP99Ms < 2000,
                 QByteArray::number(d.latenessP99Ms).constData());
        QCOMPARE(d.heartbeatStreamLength, 1);
        QVERIFY(d.presenceStreamLength >= 4); // two ONLINE, two OFFLINE
        QCOMPARE(d.consumers.size(), 2);
        QCOMPARE(d.deadNodeConsumers().size(), 1);
        QCOMPARE(d.deadNodeConsumers().first().name, QStringLiteral("ghost"));
        QCOMPARE(d.deadNodeConsumers().first().pending, 1);
    }

    void theDiagnosticsReadWritesNothing()
    {
        run({"CONFIG", "RESETSTAT"});
        read();
        const QByteArray stats = run({"INFO", "commandstats"}).toByteArray();
        QVERIFY(stats.contains("cmdstat_fcall_ro:calls=1,"));
        // Only reads ran inside it (a no-writes function could not write anyway).
        for (const char *write : {"cmdstat_set:", "cmdstat_hset:", "cmdstat_zadd:", "cmdstat_del:"})
            QVERIFY2(!stats.contains(write), stats.constData());
    }
};

QTEST_GUILESS_MAIN(TestDiagnosticsFunctions)
#include "tst_diagnostics_functions.moc"
