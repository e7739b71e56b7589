#include "auth/ClientTokens.h"

#include <QTest>

using namespace presence;
using Verdict = ClientTokens::Verdict;

namespace {
ClientId id(const char *text) { return *ClientId::fromString(QString::fromLatin1(text)); }
const QByteArray secret = "a-secret-of-at-least-16-bytes";
} // namespace

class TestClientTokens : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aMintedTokenIsValidForItsClientUntilItExpires()
    {
        const ClientTokens tokens(secret);
        const QByteArray token = tokens.mint(id("alice"), 1000);
        QVERIFY(token.startsWith("v1.1000."));
        QCOMPARE(tokens.verify(token, id("alice"), 999), Verdict::Valid);
        QCOMPARE(tokens.verify(token, id("alice"), 1000), Verdict::Expired);
        QCOMPARE(tokens.verify(token, id("bob"), 999), Verdict::Forged);
    }

    void anotherSecretsTokenIsForged()
    {
        const QByteArray token = ClientTokens("another-secret-16-bytes!").mint(id("alice"), 1000);
        QCOMPARE(ClientTokens(secret).verify(token, id("alice"), 0), Verdict::Forged);
    }

    void tamperingIsForged()
    {
        const ClientTokens tokens(secret);
        QByteArray token = tokens.mint(id("alice"), 1000);
        QByteArray laterExpiry = token;
        laterExpiry.replace("v1.1000.", "v1.9999.");
        QCOMPARE(tokens.verify(laterExpiry, id("alice"), 0), Verdict::Forged);
        token[token.size() - 1] = token.back() == 'A' ? 'B' : 'A';
        QCOMPARE(tokens.verify(token, id("alice"), 0), Verdict::Forged);
    }

    void junkIsMalformedOrMissing_data()
    {
        QTest::addColumn<QByteArray>("token");
        QTest::addColumn<int>("verdict");
        QTest::newRow("empty") << QByteArray() << int(Verdict::Missing);
        QTest::newRow("no version") << QByteArray("1000.abc") << int(Verdict::Malformed);
        QTest::newRow("v2") << QByteArray("v2.1000.abc") << int(Verdict::Malformed);
        QTest::newRow("no expiry") << QByteArray("v1..abc") << int(Verdict::Malformed);
        QTest::newRow("letters in expiry") << QByteArray("v1.10a0.abc") << int(Verdict::Malformed);
        QTest::newRow("no signature part") << QByteArray("v1.1000") << int(Verdict::Malformed);
        QTest::newRow("huge") << "v1.1." + QByteArray(5000, 'x') << int(Verdict::Malformed);
        QTest::newRow("binary") << QByteArray("v1.1\x00\xff.x", 8) << int(Verdict::Malformed);
    }
    void junkIsMalformedOrMissing()
    {
        QFETCH(QByteArray, token);
        QFETCH(int, verdict);
        QCOMPARE(int(ClientTokens(secret).verify(token, id("alice"), 0)), verdict);
    }

    void constantTimeComparison()
    {
        QVERIFY(equalInConstantTime("abc", "abc"));
        QVERIFY(!equalInConstantTime("abc", "abd"));
        QVERIFY(!equalInConstantTime("abc", "ab"));
        QVERIFY(equalInConstantTime("", ""));
    }
};

QTEST_GUILESS_MAIN(TestClientTokens)
#include "tst_client_tokens.moc"
