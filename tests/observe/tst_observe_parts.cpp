// The observer's pure parts: the SSE reader it follows a node with, the event JSON read back,
// and the --observe option (an optional value, which QCommandLineParser cannot express).

#include "app/Options.h"
#include "observe/PresenceEventJson.h"
#include "observe/SseEventParser.h"

#include <QTest>

using namespace presence;

class ObservePartsTest : public QObject {
    Q_OBJECT

    static OptionsParse parse(const QStringList &args, const QProcessEnvironment &env = {})
    {
        return parseOptions(QStringList{QStringLiteral("presence")} + args, env);
    }

private Q_SLOTS:
    void sseEventsSplitAcrossReadsAndLineEndings()
    {
        SseEventParser parser;
        QCOMPARE(parser.feed("retry: 1500\n\nid: 1-0\nda").size(), 0);
        QList<SseEventParser::Event> events = parser.feed("ta: {\"a\":1}\r\n\r\n: keepalive\n\n");
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].id, QByteArray("1-0"));
        QCOMPARE(events[0].data, QByteArray("{\"a\":1}"));
        QCOMPARE(events[0].type, QByteArray("message"));
        events = parser.feed("event: synced\ndata: x\ndata: y\r\r");
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].type, QByteArray("synced"));
        QCOMPARE(events[0].data, QByteArray("x\ny"));
        QCOMPARE(parser.pendingBytes(), 0);
    }

    void eventJsonRoundTrips()
    {
        PresenceEvent event{EventId{1796130573128, 2}, *ClientId::fromString(u"bob"),
                            PresenceStatus::Online, QStringLiteral("connected"), 1796130573128,
                            QStringLiteral("node-b"), *RoomName::fromString(u"lobby")};
        bool snapshot = false;
        const auto back = presenceEventFromJson(presenceJsonLine(event, true), &snapshot);
        QVERIFY(back);
        QVERIFY(snapshot);
        QCOMPARE(back->id, event.id);
        QCOMPARE(back->client, event.client);
        QCOMPARE(back->room, event.room);
        QCOMPARE(back->status, event.status);
        QCOMPARE(back->reason, event.reason);
        QCOMPARE(back->atMs, event.atMs);
        QCOMPARE(back->node, event.node);
        // The default room has no room field on the wire.
        event.room = RoomName();
        QVERIFY(!presenceJsonLine(event, false).contains("room"));
        QVERIFY(!presenceJsonLine(event, false).contains("snapshot"));
    }

    void junkEventJsonIsRefusedWithAReason()
    {
        for (const QByteArray &junk : {QByteArray("nope"), QByteArray("{\"client\":\"a b\",\"status\":\"ONLINE\"}"),
                                       QByteArray("{\"client\":\"a\",\"status\":\"AWAY\"}"),
                                       QByteArray("{\"client\":\"a\",\"status\":\"ONLINE\",\"room\":\"x/y\"}")}) {
            QString why;
            QVERIFY2(!presenceEventFromJson(junk, nullptr, &why), junk.constData());
            QVERIFY(!why.isEmpty());
        }
    }

    void observeTakesAnOptionalNodeUrl()
    {
        OptionsParse parsed = parse({QStringLiteral("--observe"), QStringLiteral("--redis"), QStringLiteral("redis://h:1")});
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QVERIFY(parsed.options.observe);
        QVERIFY(parsed.options.observeUrl.isEmpty());

        parsed = parse({QStringLiteral("--observe"), QStringLiteral("http://node:8080"), QStringLiteral("--headless")});
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(parsed.options.observeUrl, QStringLiteral("http://node:8080"));
        QVERIFY(parsed.options.headless);

        parsed = parse({QStringLiteral("--observe=https://node:8443")});
        QCOMPARE(parsed.options.observeUrl, QStringLiteral("https://node:8443"));

        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_OBSERVE"), QStringLiteral("http://node:8080"));
        parsed = parse({}, env);
        QVERIFY(parsed.options.observe);
        QCOMPARE(parsed.options.observeUrl, QStringLiteral("http://node:8080"));

        env.insert(QStringLiteral("PRESENCE_OBSERVE"), QStringLiteral("0"));
        QVERIFY(!parse({}, env).options.observe);
        env.insert(QStringLiteral("PRESENCE_OBSERVE"), QStringLiteral("maybe"));
        QCOMPARE(parse({}, env).outcome, OptionsParse::Outcome::Error);

        // Without --observe nothing changes.
        parsed = parse({QStringLiteral("--headless")});
        QVERIFY(!parsed.options.observe);
    }

    void badObserveValuesAreRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no target") << QStringList{QStringLiteral("--observe")} << QStringLiteral("needs the deployment's Redis");
        QTest::newRow("ftp") << QStringList{QStringLiteral("--observe"), QStringLiteral("ftp://x:1")} << QStringLiteral("expected a node's address");
        QTest::newRow("path") << QStringList{QStringLiteral("--observe"), QStringLiteral("http://x:1/api/events")} << QStringLiteral("expected a node's address");
        QTest::newRow("credentials") << QStringList{QStringLiteral("--observe"), QStringLiteral("http://u:p@x:1")} << QStringLiteral("expected a node's address");
        QTest::newRow("both") << QStringList{QStringLiteral("--observe"), QStringLiteral("http://x:1"), QStringLiteral("--redis"), QStringLiteral("redis://h:1")}
                              << QStringLiteral("not both");
        QTest::newRow("memory") << QStringList{QStringLiteral("--observe"), QStringLiteral("http://x:1"), QStringLiteral("--backend"), QStringLiteral("memory")}
                                << QStringLiteral("contradict");
    }
    void badObserveValuesAreRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const OptionsParse parsed = parse(args);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(parsed.text.contains(message), qPrintable(parsed.text));
    }
};

QTEST_GUILESS_MAIN(ObservePartsTest)
#include "tst_observe_parts.moc"
