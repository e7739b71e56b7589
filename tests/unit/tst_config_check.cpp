// presence --check-config's decisions, fed with made-up host facts.
#include "app/ConfigCheck.h"

#include <QTest>

using namespace presence;

namespace {
HostFacts roomyHost()
{
    HostFacts facts;
    facts.openFileLimit = 65536;
    facts.redisServerInstalled = true;
    return facts;
}

bool mentions(const QStringList &problems, const char *text)
{
    for (const QString &problem : problems) {
        if (problem.contains(QLatin1String(text)))
            return true;
    }
    return false;
}
} // namespace

class TestConfigCheck : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultsOnARoomyHostAreFine()
    {
        QVERIFY(configProblems(Options{}, roomyHost()).isEmpty());
    }

    void openFileLimitBelowTheSessionLimitIsAProblem()
    {
        HostFacts facts = roomyHost();
        facts.openFileLimit = 1024; // a login shell's default
        const QStringList problems = configProblems(Options{}, facts);
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.first().contains(u"open-file limit 1024"), qPrintable(problems.first()));
        QVERIFY2(problems.first().contains(u"19000 sessions"), qPrintable(problems.first()));
    }

    void limitIsSizedFromMaxSessions()
    {
        Options options;
        QCOMPARE(requiredOpenFiles(options), 19500 + openFileHeadroom); // the connection limit
        options.maxSessions = 100;
        QCOMPARE(requiredOpenFiles(options), 19500 + openFileHeadroom); // never below the default
        options.maxSessions = 50000;
        QCOMPARE(requiredOpenFiles(options), 50100 + openFileHeadroom);

        HostFacts facts = roomyHost();
        facts.openFileLimit = 50100 + openFileHeadroom - 1;
        QVERIFY(mentions(configProblems(options, facts), "50000 sessions"));
        facts.openFileLimit += 1;
        QVERIFY(configProblems(options, facts).isEmpty());
        facts.openFileLimit = -1; // unlimited
        QVERIFY(configProblems(options, facts).isEmpty());
    }

    void badRedisUrlIsAProblem_withoutShowingThePassword()
    {
        Options options;
        options.redisUrl = QStringLiteral("redis://:hunter2hunter2@host:notaport");
        const QStringList problems = configProblems(options, roomyHost());
        QCOMPARE(problems.size(), 1);
        QVERIFY(problems.first().startsWith(u"--redis: "));
        QVERIFY(!problems.first().contains(u"hunter2"));
        options.redisUrl = QStringLiteral("redis://127.0.0.1:6379/2");
        QVERIFY(configProblems(options, roomyHost()).isEmpty());
    }

    void redisBackendWithoutRedisNeedsARedisServer()
    {
        Options options;
        options.engine = EngineChoice::Redis;
        HostFacts facts = roomyHost();
        QVERIFY(configProblems(options, facts).isEmpty());
        facts.redisServerInstalled = false;
        QVERIFY(mentions(configProblems(options, facts), "needs a redis-server installed"));
        options.engine = EngineChoice::Auto; // auto falls back to memory: fine
        QVERIFY(configProblems(options, facts).isEmpty());
    }

    void unreadableTlsFilesAreProblems()
    {
        Options options;
        options.redisUrl = QStringLiteral("rediss://cache.example:6380");
        options.redisTlsCa = QStringLiteral("/nonexistent/ca.pem");
        QVERIFY(mentions(configProblems(options, roomyHost()),
                         "cannot read the TLS CA file /nonexistent/ca.pem"));
        options.redisTlsCa.clear(); // the system's CAs: fine
        QVERIFY(configProblems(options, roomyHost()).isEmpty());

        Options https;
        https.tlsCert = QStringLiteral("/nonexistent/cert.pem");
        https.tlsKey = QStringLiteral("/nonexistent/key.pem");
        QVERIFY(mentions(configProblems(https, roomyHost()), "HTTPS: cannot read the HTTPS certificate"));
    }

    void redisPasswordWithoutRedisIsAProblem()
    {
        Options options;
        options.redisPassword = "secret";
        QVERIFY(mentions(configProblems(options, roomyHost()), "no --redis to use it with"));
        options.redisUrl = QStringLiteral("redis://127.0.0.1:6379");
        QVERIFY(configProblems(options, roomyHost()).isEmpty());
    }

    void listenAddressMustBeAnIpAndBindable()
    {
        Options options;
        options.listenHost = QStringLiteral("example.com");
        QVERIFY(mentions(configProblems(options, roomyHost()), "is not an IP address"));
        options.listenHost = QStringLiteral("localhost");
        QVERIFY(configProblems(options, roomyHost()).isEmpty());
        HostFacts facts = roomyHost();
        facts.listenProblem = QStringLiteral("The bound address is already in use");
        options.listenHost = QStringLiteral("127.0.0.1");
        options.listenPort = 8080;
        const QStringList problems = configProblems(options, facts);
        QCOMPARE(problems, QStringList{QStringLiteral(
                               "--listen 127.0.0.1:8080: The bound address is already in use")});
    }

    void everyProblemIsReported()
    {
        Options options;
        options.redisUrl = QStringLiteral("http://nope");
        options.listenHost = QStringLiteral("nowhere");
        HostFacts facts = roomyHost();
        facts.openFileLimit = 10;
        QCOMPARE(configProblems(options, facts).size(), 3);
    }

    void unknownVariablesAreNamed_knownOnesAreNot()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_HEARTBEAT"), QStringLiteral("2s"));
        env.insert(QStringLiteral("PRESENCE_HEADLESS"), QStringLiteral("1"));
        env.insert(QStringLiteral("PRESENCE_TOKEN_SECRET"), QStringLiteral("x"));
        env.insert(QStringLiteral("PRESENCE_REDIS_PASSWORD_FILE"), QStringLiteral("/x"));
        env.insert(QStringLiteral("PRESENCE_HEARTBAET"), QStringLiteral("2s"));
        env.insert(QStringLiteral("HOME"), QStringLiteral("/root"));
        QCOMPARE(unknownPresenceVariables(env), QStringList{QStringLiteral("PRESENCE_HEARTBAET")});
    }
};

QTEST_GUILESS_MAIN(TestConfigCheck)
#include "tst_config_check.moc"
