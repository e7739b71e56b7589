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

    void tls()
    {
        const auto url = RedisUrl::parse(u"rediss://:pw@cache.example:6380/2");
        QVERIFY(url);
        QVERIFY(url->usesTls());
        QVERIFY(!url->isSentinel());
        QCOMPARE(url->host(), QStringLiteral("cache.example"));
        QCOMPARE(url->port(), quint16(6380));
        QCOMPARE(url->database(), 2);
        QCOMPARE(url->toDisplayString(), QStringLiteral("rediss://:***@cache.example:6380/2"));
        QVERIFY(!RedisUrl::parse(u"redis://h")->usesTls());
    }

    void sentinelGroup()
    {
        const auto url =
            RedisUrl::parse(u"redis-sentinel://:pw@s1:26380,s2,[::1]:26381/3#my-primary");
        QVERIFY(url);
        QVERIFY(url->isSentinel());
        QVERIFY(!url->usesTls());
        QCOMPARE(url->masterName(), QStringLiteral("my-primary"));
        QCOMPARE(url->sentinels().size(), 3);
        QCOMPARE(url->sentinels()[0], (RedisUrl::HostPort{QStringLiteral("s1"), 26380}));
        QCOMPARE(url->sentinels()[1], (RedisUrl::HostPort{QStringLiteral("s2"), 26379}));
        QCOMPARE(url->sentinels()[2], (RedisUrl::HostPort{QStringLiteral("::1"), 26381}));
        QCOMPARE(url->database(), 3);
        QCOMPARE(url->password(), QByteArray("pw"));
        QCOMPARE(url->toDisplayString(),
                 QStringLiteral("redis-sentinel://:***@s1:26380,s2:26379,[::1]:26381/3#my-primary"));

        // The primary they name keeps the credentials and the database; a Sentinel gets none.
        const RedisUrl primary = url->withPrimary(QStringLiteral("10.0.0.7"), 6390);
        QVERIFY(!primary.isSentinel());
        QCOMPARE(primary.toDisplayString(), QStringLiteral("redis://:***@10.0.0.7:6390/3"));
        const RedisUrl sentinel = url->sentinelUrl(1);
        QCOMPARE(sentinel.toDisplayString(), QStringLiteral("redis://s2:26379/0"));

        const auto tls = RedisUrl::parse(u"rediss-sentinel://s1#m");
        QVERIFY(tls);
        QVERIFY(tls->usesTls());
        QVERIFY(tls->sentinelUrl(0).usesTls());
        QVERIFY(tls->withPrimary(QStringLiteral("p"), 1).usesTls());
    }

    void clusterSeeds()
    {
        const auto url = RedisUrl::parse(u"rediss://u:pw@n1:7001,n2,[::1]:7003");
        QVERIFY(url);
        QVERIFY(!url->isSentinel());
        QVERIFY(url->usesTls());
        QCOMPARE(url->host(), QStringLiteral("n1")); // the first seed is the URL's server
        QCOMPARE(url->port(), quint16(7001));
        const QList<RedisUrl::HostPort> seeds = url->seeds();
        QCOMPARE(seeds.size(), 3);
        QCOMPARE(seeds[0], (RedisUrl::HostPort{QStringLiteral("n1"), 7001}));
        QCOMPARE(seeds[1], (RedisUrl::HostPort{QStringLiteral("n2"), 6379}));
        QCOMPARE(seeds[2], (RedisUrl::HostPort{QStringLiteral("::1"), 7003}));
        QCOMPARE(url->toDisplayString(), QStringLiteral("rediss://u:***@n1:7001,n2:6379,[::1]:7003/0"));
        // One node of the cluster: the seeds' credentials and TLS, that node alone.
        const RedisUrl node = url->withPrimary(QStringLiteral("n9"), 7009);
        QCOMPARE(node.seeds(), (QList<RedisUrl::HostPort>{{QStringLiteral("n9"), 7009}}));
        QVERIFY(node.usesTls());
        QCOMPARE(node.password(), QByteArray("pw"));
        QCOMPARE(RedisUrl::parse(u"redis://h:1")->seeds().size(), 1);
        QVERIFY(RedisUrl::parse(u"unix:///tmp/r.sock")->seeds().isEmpty());
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
        QTest::newRow("sentinel without master")
            << QStringLiteral("redis-sentinel://host:26379") << QStringLiteral("after \"#\"");
        QTest::newRow("sentinel empty master")
            << QStringLiteral("redis-sentinel://host:26379#") << QStringLiteral("after \"#\"");
        QTest::newRow("sentinel bad port")
            << QStringLiteral("redis-sentinel://a:1,b:x#m") << QStringLiteral("port");
        QTest::newRow("sentinel empty host")
            << QStringLiteral("redis-sentinel://a:1,#m") << QStringLiteral("host is empty");
        QTest::newRow("master without sentinel")
            << QStringLiteral("redis://host:6379#mymaster") << QStringLiteral("redis-sentinel");
        QTest::newRow("seed bad port")
            << QStringLiteral("redis://a:1,b:x") << QStringLiteral("port");
        QTest::newRow("seed empty host")
            << QStringLiteral("redis://a:1,") << QStringLiteral("host is empty");
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
