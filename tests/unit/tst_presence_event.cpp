// PresenceEvent::toJson writes its JSON by hand (a join storm spent a fifth of the node's CPU in
// QJsonObject). What a client parses must not change: the bytes are checked against
// QJsonDocument's compact output, the writer the events were made with before, over fixed cases
// and random text in the free-text fields (reason, node), surrogates and controls included.
#include "http/SseSession.h"
#include "model/PresenceEvent.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace presence;

namespace {

// The writer toJson() used until it was written by hand: the reference.
QByteArray referenceJson(const PresenceEvent &event)
{
    QJsonObject object{{QStringLiteral("client"), event.client.toString()},
                       {QStringLiteral("status"), statusText(event.status)}};
    if (!event.reason.isEmpty())
        object.insert(QStringLiteral("reason"), event.reason);
    if (event.atMs > 0)
        object.insert(QStringLiteral("at"), event.atMs);
    if (!event.node.isEmpty())
        object.insert(QStringLiteral("node"), event.node);
    if (!event.id.isNull())
        object.insert(QStringLiteral("id"), event.id.toString());
    if (!event.room.isDefault())
        object.insert(QStringLiteral("room"), event.room.toString());
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QString randomText(QRandomGenerator &random)
{
    // Mostly the awkward parts of UTF-16 and JSON: controls, quotes, backslashes, DEL, two- and
    // three-byte characters, paired and lone surrogates.
    static const char16_t pool[] = {u'a', u'Z', u'0', u' ', u'"', u'\\', u'/', u'\b', u'\f', u'\n',
                                    u'\r', u'\t', 0x01, 0x1f, 0x7f, 0x80, 0xe9, 0x7ff, 0x800,
                                    0x20ac, 0xfffd, 0xfffe, 0xffff, 0xd83d, 0xde00, 0xdbff,
                                    0xdc00, 0x2028};
    QString text;
    const int length = int(random.bounded(12));
    for (int i = 0; i < length; ++i)
        text += QChar(pool[random.bounded(int(std::size(pool)))]);
    return text;
}

} // namespace

class TestPresenceEvent : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesQJsonDocument_data()
    {
        QTest::addColumn<PresenceEvent>("event");
        const ClientId alice = *ClientId::fromString(u"alice@example.com");
        const RoomName lobby = *RoomName::fromString(u"lobby-1");
        QTest::newRow("bare") << PresenceEvent{{}, alice, PresenceStatus::Offline, {}, 0, {}, {}};
        QTest::newRow("seed event")
            << PresenceEvent{{1700000000000, 3}, alice, PresenceStatus::Online,
                             Reason::connected,  1700000000123, QStringLiteral("node-a:42"), {}};
        QTest::newRow("in a room")
            << PresenceEvent{{18446744073709551615ULL, 0}, alice, PresenceStatus::Offline,
                             Reason::timeout, 1, {}, lobby};
        QTest::newRow("largest at")
            << PresenceEvent{{1, 1}, alice, PresenceStatus::Online, Reason::heartbeat,
                             std::numeric_limits<qint64>::max(), {}, {}};
        QTest::newRow("escapes")
            << PresenceEvent{{}, alice, PresenceStatus::Online,
                             QStringLiteral("a\"b\\c\nd\te\x01f\x1f/"),
                             5, QString(QChar(0xd800)) + QStringLiteral("x\u00e9\u20ac"), {}};
    }
    void matchesQJsonDocument()
    {
        QFETCH(PresenceEvent, event);
        QCOMPARE(event.toJson(), referenceJson(event));
    }

    void matchesQJsonDocumentOnRandomText()
    {
        QRandomGenerator random(20261207);
        const ClientId client = *ClientId::fromString(u"c:1.2_3-4");
        for (int i = 0; i < 20000; ++i) {
            const PresenceEvent event{{quint64(random.generate64() >> 1), random.generate()},
                                      client,
                                      random.bounded(2) ? PresenceStatus::Online
                                                        : PresenceStatus::Offline,
                                      randomText(random),
                                      qint64(random.generate64() >> 1),
                                      randomText(random),
                                      {}};
            const QByteArray json = event.toJson();
            if (json != referenceJson(event))
                QFAIL(qPrintable(QStringLiteral("differs for reason %1, node %2: %3 vs %4")
                                     .arg(QString::fromLatin1(event.reason.toUtf8().toHex()),
                                          QString::fromLatin1(event.node.toUtf8().toHex()),
                                          QString::fromUtf8(json.toHex()),
                                          QString::fromUtf8(referenceJson(event).toHex()))));
        }
    }

    void sseFrameCarriesIdAndSnapshotFlag()
    {
        const PresenceEvent event{{7, 8}, *ClientId::fromString(u"bob"), PresenceStatus::Online,
                                  Reason::connected, 9, {}, {}};
        QCOMPARE(SseSession::format(event, false),
                 QByteArray("id: 7-8\ndata: " + referenceJson(event) + "\n\n"));
        QByteArray snapshot = referenceJson(event);
        snapshot.insert(snapshot.size() - 1, ",\"snapshot\":true");
        QCOMPARE(SseSession::format(event, true), QByteArray("id: 7-8\ndata: " + snapshot + "\n\n"));
        const PresenceEvent noId{{}, event.client, event.status, event.reason, 9, {}, {}};
        QCOMPARE(SseSession::format(noId, false),
                 QByteArray("data: " + referenceJson(noId) + "\n\n"));
    }
};

QTEST_GUILESS_MAIN(TestPresenceEvent)
#include "tst_presence_event.moc"
