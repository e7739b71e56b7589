#include "model/ClientId.h"

#include <QTest>

using presence::ClientId;

class TestClientId : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void accepts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("plain") << QStringLiteral("alice");
        QTest::newRow("every allowed kind") << QStringLiteral("a.B_c-9:d@e");
        QTest::newRow("one char") << QStringLiteral("x");
        QTest::newRow("128 chars") << QString(128, QLatin1Char('a'));
        QTest::newRow("email-like") << QStringLiteral("bob@example.com");
    }
    void accepts()
    {
        QFETCH(QString, text);
        const auto id = ClientId::fromString(text);
        QVERIFY(id.has_value());
        QCOMPARE(id->toString(), text);
    }

    void refuses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << QString() << QStringLiteral("empty");
        QTest::newRow("129 chars") << QString(129, QLatin1Char('a')) << QStringLiteral("129");
        QTest::newRow("space") << QStringLiteral("a b") << QStringLiteral("U+0020");
        QTest::newRow("slash") << QStringLiteral("a/b") << QStringLiteral("U+002f");
        QTest::newRow("percent") << QStringLiteral("a%20") << QStringLiteral("U+0025");
        QTest::newRow("non-ascii letter") << QStringLiteral("é") << QStringLiteral("U+00e9");
        QTest::newRow("newline") << QStringLiteral("a\nb") << QStringLiteral("U+000a");
        QTest::newRow("nul") << QString(QChar(0)) << QStringLiteral("U+0000");
        QTest::newRow("quote") << QStringLiteral("a\"b") << QStringLiteral("U+0022");
    }
    void refuses()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        QString whyNot;
        QVERIFY(!ClientId::fromString(text, &whyNot).has_value());
        QVERIFY2(whyNot.contains(mentions), qPrintable(whyNot));
        // Every refusal names the rule, so a client can fix its id without reading code.
        QVERIFY2(whyNot.contains(QStringLiteral("._-:@")), qPrintable(whyNot));
    }

    void equalIdsHashAlike()
    {
        const auto a = ClientId::fromString(u"same");
        const auto b = ClientId::fromString(u"same");
        QCOMPARE(*a, *b);
        QCOMPARE(qHash(*a), qHash(*b));
        QVERIFY(*ClientId::fromString(u"a") < *ClientId::fromString(u"b"));
    }
};

QTEST_GUILESS_MAIN(TestClientId)
#include "tst_client_id.moc"
