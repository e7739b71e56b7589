#include "redis/RedisUrl.h"

#include <QTest>

using presence::RedisUrl;

class TestRedisUrl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tcpDefaults()
    {
        const auto url = RedisUrl::parse(u"redis://cache.example:6380");
        QVERIFY(url);
        QCOMPARE(url->transport(), RedisUrl::Transport::Tcp);
        QCOMPARE(url->host(), QStringLiteral("cache.example"));
        QCOMPARE(url->port(), quint16(6380));
        QCOMPARE(url->database(), 0);
        QVERIFY(!url->hasPassword());
        QVERIFY(url->user().isEmpty());

        const auto bare = RedisUrl::parse(u"redis://localhost");
        QVERIFY(bare);
        QCOMPARE(bare->port(), RedisUrl::defaultPort);
        QCOMPARE(bare->toDisplayString(), QStringLiteral("redis://localhost:6379/0"));
    }

    void userPasswordAndDatabase()
    {
        const auto url = RedisUrl::parse(u"redis://alice:s3cret@10.0.0.5:6379/3");
        QVERIFY(url);
        QCOMPARE(url->user(), QStringLiteral("alice"));
        QCOMPARE(url->password(), QByteArray("s3cret"));
        QCOMPARE(url->database(), 3);
        QCOMPARE(url->toDisplayString(), QStringLiteral("redis://alice:***@10.0.0.5:6379/3"));
    }

    void passwordOnly()
    {
        const auto url = RedisUrl::parse(u"redis://:hunter2@host:1234");
        QVERIFY(url);
        QVERIFY(url->user().isEmpty());
        QCOMPARE(url->password(), QByteArray("hunter2"));
        QCOMPARE(url->toDisplayString(), QStringLiteral("redis://:***@host:1234/0"));
    }

    void percentEncodedPassword()
    {
        const auto url = RedisUrl::parse(u"redis://:p%40ss%2Fw%3Ard%25@host/1");
        QVERIFY(url);
        QCOMPARE(url->password(), QByteArray("p@ss/w:rd%"));
        QCOMPARE(url->database(), 1);
        // An unescaped "@" still works: the last "@" ends the credentials.
        const auto raw = RedisUrl::parse(u"redis://:a@b@host");
        QVERIFY(raw);
        QCOMPARE(raw->password(), QByteArray("a@b"));
        QCOMPARE(raw->host(), QStringLiteral("host"));
    }

    void ipv6()
    {
        const auto url = RedisUrl::parse(u"redis://[::1]:7000/2");
        QVERIFY(url);
        QCOMPARE(url->host(), QStringLiteral("::1"));
        QCOMPARE(url->port(), quint16(7000));
        QCOMPARE(url->toDisplayString(), QStringLiteral("redis://[::1]:7000/2"));
    }

    void unixSocket()
    {
        const auto url = RedisUrl::parse(u"unix:///run/redis/redis.sock");
        QVERIFY(url);
        QCOMPARE(url->transport(), RedisUrl::Transport::Unix);
        QCOMPARE(url->socketPath(), QStringLiteral("/run/redis/redis.sock"));
        QCOMPARE(url->database(), 0);
        const auto withDb = RedisUrl::parse(u"unix:///tmp/r.sock?db=5");
        QVERIFY(withDb);
        QCOMPARE(withDb->database(), 5);
        QCOMPARE(withDb->socketPath(), QStringLiteral("/tmp/r.sock"));
        QCOMPARE(withDb->toDisplayString(), QStringLiteral("unix:///tmp/r.sock?db=5"));
    }

    void rejectsJunk_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << QString() << QStringLiteral("not a Redis URL");
        QTest::newRow("scheme") << QStringLiteral("http://host:6379")
                                << QStringLiteral("not a Redis URL");
        QTest::newRow("tls") << QStringLiteral("rediss://host:6380") << QStringLiteral("TLS");
        QTest::newRow("no host") << QStringLiteral("redis://:6379")
                                 << QStringLiteral("host is empty");
        QTest::newRow("no host at all")
            << QStringLiteral("redis://") << QStringLiteral("host is empty");
        QTest::newRow("port text") << QStringLiteral("redis://host:abc") << QStringLiteral("port");
        QTest::newRow("port zero") << QStringLiteral("redis://host:0") << QStringLiteral("port");
        QTest::newRow("port big") << QStringLiteral("redis://host:65536") << QStringLiteral("port");
        QTest::newRow("port empty") << QStringLiteral("redis://host:") << QStringLiteral("port");
        QTest::newRow("port sign") << QStringLiteral("redis://host:+80") << QStringLiteral("port");
        QTest::newRow("db text") << QStringLiteral("redis://host/abc")
                                 << QStringLiteral("database");
        QTest::newRow("db negative")
            << QStringLiteral("redis://host/-1") << QStringLiteral("database");
        QTest::newRow("db twice") << QStringLiteral("redis://host/1?db=2")
                                  << QStringLiteral("twice");
        QTest::newRow("user no password")
            << QStringLiteral("redis://bob@host") << QStringLiteral("needs a password");
        QTest::newRow("empty password")
            << QStringLiteral("redis://:@host") << QStringLiteral("password is empty");
        QTest::newRow("bad escape")
            << QStringLiteral("redis://:ab%zz@host") << QStringLiteral("%-escape");
        QTest::newRow("ipv6 bare")
            << QStringLiteral("redis://::1:6379") << QStringLiteral("brackets");
        QTest::newRow("unknown param")
            << QStringLiteral("redis://host?timeout=3") << QStringLiteral("timeout");
        QTest::newRow("unix relative")
            << QStringLiteral("unix://tmp/r.sock") << QStringLiteral("absolute path");
        QTest::newRow("unix empty") << QStringLiteral("unix://") << QStringLiteral("absolute path");
        QTest::newRow("unix db text")
            << QStringLiteral("unix:///tmp/r.sock?db=x") << QStringLiteral("database");
    }

    void rejectsJunk()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        QString why;
        QVERIFY(!RedisUrl::parse(text, &why));
        QVERIFY2(why.contains(mentions), qPrintable(why));
    }

    void displayNeverShowsPassword_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("password");
        QTest::newRow("user") << QStringLiteral("redis://u:topsecret@h:1/2")
                              << QByteArray("topsecret");
        QTest::newRow("only") << QStringLiteral("redis://:topsecret@h") << QByteArray("topsecret");
        QTest::newRow("encoded") << QStringLiteral("redis://:top%20secret@h")
                                 << QByteArray("top secret");
    }

    void displayNeverShowsPassword()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, password);
        const auto url = RedisUrl::parse(text);
        QVERIFY(url);
        QCOMPARE(url->password(), password);
        const QString shown = url->toDisplayString();
        QVERIFY2(!shown.contains(QString::fromUtf8(password)), qPrintable(shown));
        QVERIFY2(!shown.contains(QStringLiteral("secret")), qPrintable(shown));
        QVERIFY(shown.contains(QStringLiteral("***")));
        const auto unixUrl =
            RedisUrl::unixSocket(QStringLiteral("/tmp/s")).withCredentials({}, password);
        QVERIFY(!unixUrl.toDisplayString().contains(QStringLiteral("secret")));
    }
};

QTEST_GUILESS_MAIN(TestRedisUrl)
#include "tst_redis_url.moc"
