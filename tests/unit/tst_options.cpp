#include "app/Options.h"

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace presence;

namespace {
OptionsParse parse(QStringList args, QProcessEnvironment env = {})
{
    args.prepend(QStringLiteral("presence"));
    return parseOptions(args, env);
}
} // namespace

class TestOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void defaultsMatchTheDesign()
    {
        const auto parsed = parse({});
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(parsed.options.headless, false);
        QCOMPARE(parsed.options.listenHost, QStringLiteral("127.0.0.1"));
        QCOMPARE(parsed.options.listenPort, quint16(8080));
        QCOMPARE(parsed.options.engine, EngineChoice::Auto);
        QCOMPARE(parsed.options.timing.heartbeatMs, 5000);
        QCOMPARE(parsed.options.timing.ttlFactor, 1.5);
        QCOMPARE(parsed.options.timing.ttlMs(), 7500);
        QCOMPARE(parsed.options.timing.graceMs, 2000);
    }

    void readsEveryOption()
    {
        const auto parsed = parse({QStringLiteral("--headless"), QStringLiteral("--listen"),
                                   QStringLiteral("0.0.0.0:0"), QStringLiteral("--heartbeat"),
                                   QStringLiteral("250ms"), QStringLiteral("--ttl-factor"),
                                   QStringLiteral("2"), QStringLiteral("--grace"),
                                   QStringLiteral("0s"), QStringLiteral("--node-id"),
                                   QStringLiteral("n1"), QStringLiteral("--backend"),
                                   QStringLiteral("memory")});
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QVERIFY(parsed.options.headless);
        QCOMPARE(parsed.options.listenHost, QStringLiteral("0.0.0.0"));
        QCOMPARE(parsed.options.listenPort, quint16(0));
        QCOMPARE(parsed.options.timing.heartbeatMs, 250);
        QCOMPARE(parsed.options.timing.ttlMs(), 500);
        QCOMPARE(parsed.options.timing.graceMs, 0);
        QCOMPARE(parsed.options.nodeId, QStringLiteral("n1"));
        QCOMPARE(parsed.options.engine, EngineChoice::Memory);
    }

    void environmentFillsIn_andCommandLineWins()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_HEARTBEAT"), QStringLiteral("2s"));
        env.insert(QStringLiteral("PRESENCE_TTL_FACTOR"), QStringLiteral("3"));
        env.insert(QStringLiteral("PRESENCE_NODE_ID"), QStringLiteral("from-env"));
        env.insert(QStringLiteral("PRESENCE_HEADLESS"), QStringLiteral("1"));
        const auto parsed = parse({QStringLiteral("--node-id"), QStringLiteral("from-cli")}, env);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(parsed.options.timing.heartbeatMs, 2000);
        QCOMPARE(parsed.options.timing.ttlMs(), 6000);
        QCOMPARE(parsed.options.nodeId, QStringLiteral("from-cli"));
        QVERIFY(parsed.options.headless);
    }

    void badValuesNameTheOption_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("bare number") << QStringList{QStringLiteral("--heartbeat"), QStringLiteral("5")}
                                     << QStringLiteral("--heartbeat");
        QTest::newRow("negative grace") << QStringList{QStringLiteral("--grace"), QStringLiteral("-1s")}
                                        << QStringLiteral("--grace");
        QTest::newRow("factor < 1") << QStringList{QStringLiteral("--ttl-factor"), QStringLiteral("0.5")}
                                    << QStringLiteral("--ttl-factor");
        QTest::newRow("listen without port") << QStringList{QStringLiteral("--listen"), QStringLiteral("localhost")}
                                             << QStringLiteral("--listen");
        QTest::newRow("port too big") << QStringList{QStringLiteral("--listen"), QStringLiteral("1.2.3.4:70000")}
                                      << QStringLiteral("--listen");
        QTest::newRow("unknown backend") << QStringList{QStringLiteral("--backend"), QStringLiteral("etcd")}
                                         << QStringLiteral("--backend");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--frobnicate")}
                                        << QStringLiteral("frobnicate");
        QTest::newRow("stray argument") << QStringList{QStringLiteral("oops")} << QStringLiteral("oops");
        QTest::newRow("memory with redis")
            << QStringList{QStringLiteral("--backend"), QStringLiteral("memory"), QStringLiteral("--redis"),
                           QStringLiteral("redis://127.0.0.1:6379")}
            << QStringLiteral("contradict");
    }
    void badValuesNameTheOption()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const auto parsed = parse(args);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(parsed.text.contains(mentions), qPrintable(parsed.text));
    }

    void reusePortNeedsASharedRedis()
    {
        const auto on = parse({QStringLiteral("--reuse-port"), QStringLiteral("--redis"),
                               QStringLiteral("redis://127.0.0.1:6379")});
        QCOMPARE(on.outcome, OptionsParse::Outcome::Run);
        QVERIFY(on.options.reusePort);
        QVERIFY(!parse({}).options.reusePort);
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_REUSE_PORT"), QStringLiteral("1"));
        env.insert(QStringLiteral("PRESENCE_REDIS"), QStringLiteral("redis://127.0.0.1:6379"));
        QVERIFY(parse({}, env).options.reusePort);
        // Nodes sharing a port must share presence: not the memory engine, not a private Redis.
        const auto memory = parse({QStringLiteral("--reuse-port"), QStringLiteral("--backend"),
                                   QStringLiteral("memory")});
        QCOMPARE(memory.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(memory.text.contains(QStringLiteral("--backend memory")), qPrintable(memory.text));
        const auto alone = parse({QStringLiteral("--reuse-port")});
        QCOMPARE(alone.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(alone.text.contains(QStringLiteral("needs --redis")), qPrintable(alone.text));
    }

    void heartbeatEntryMembers()
    {
        QCOMPARE(parse({}).options.heartbeatEntryMembers, 500);
        QCOMPARE(parse({QStringLiteral("--heartbeat-entry-members"), QStringLiteral("1")})
                     .options.heartbeatEntryMembers,
                 1);
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_HEARTBEAT_ENTRY_MEMBERS"), QStringLiteral("50"));
        QCOMPARE(parse({}, env).options.heartbeatEntryMembers, 50);
        for (const char *bad : {"0", "501", "many", "-1"}) {
            const auto parsed = parse({QStringLiteral("--heartbeat-entry-members"), QString::fromLatin1(bad)});
            QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
            QVERIFY2(parsed.text.contains(QStringLiteral("from 1 to 500")), qPrintable(parsed.text));
        }
    }

    void shardLinger()
    {
        QCOMPARE(parse({}).options.shardLingerMs, 10000);
        QCOMPARE(parse({QStringLiteral("--shard-linger"), QStringLiteral("500ms")}).options.shardLingerMs, 500);
        const auto bad = parse({QStringLiteral("--shard-linger"), QStringLiteral("soon")});
        QCOMPARE(bad.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(bad.text.contains(QStringLiteral("shard-linger")), qPrintable(bad.text));
    }

    void badEnvironmentNamesTheVariable()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_GRACE"), QStringLiteral("soon"));
        const auto parsed = parse({}, env);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(parsed.text.contains(QStringLiteral("PRESENCE_GRACE")), qPrintable(parsed.text));
    }

    void helpAndVersion()
    {
        const auto help = parse({QStringLiteral("--help")});
        QCOMPARE(help.outcome, OptionsParse::Outcome::ShowHelp);
        for (const char *option : {"--headless", "--listen", "--backend", "--redis", "--heartbeat",
                                   "--ttl-factor", "--grace", "--node-id"})
            QVERIFY2(help.text.contains(QLatin1String(option)), option);
        QCOMPARE(parse({QStringLiteral("--version")}).outcome, OptionsParse::Outcome::ShowVersion);
    }

    void durations()
    {
        QCOMPARE(parseDuration(u"5s"), 5000);
        QCOMPARE(parseDuration(u"1.5s"), 1500);
        QCOMPARE(parseDuration(u"500ms"), 500);
        QCOMPARE(parseDuration(u"0s"), 0);
        QVERIFY(!parseDuration(u"5").has_value());
        QVERIFY(!parseDuration(u"s").has_value());
        QVERIFY(!parseDuration(u"5m").has_value());
        QVERIFY(!parseDuration(u"ms").has_value());
        // Fuzz-corpus input fuzz/corpus/duration/crash-nan: NaN passed the range
        // check and was cast to an integer, which is undefined.
        QVERIFY(!parseDuration(u"nans").has_value());
        QVERIFY(!parseDuration(u"nanms").has_value());
        QVERIFY(!parseDuration(u"infs").has_value());
        QVERIFY(!parseDuration(u"-0.0001s").has_value());
    }

    void ttlFactorRefusesNan()
    {
        // Fuzz-corpus input fuzz/corpus/options/crash-nan: "nan" passed
        // "value < 1 || value > 100" and became the factor.
        for (const char *factor : {"nan", "-nan", "inf"}) {
            const auto parsed = parse({QStringLiteral("--ttl-factor"), QString::fromLatin1(factor)});
            QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
        }
    }

    void listenAddresses()
    {
        QString host;
        quint16 port = 1;
        QVERIFY(parseListenAddress(u"[::1]:81", &host, &port));
        QCOMPARE(host, QStringLiteral("::1"));
        QCOMPARE(port, quint16(81));
        QVERIFY(parseListenAddress(u":9000", &host, &port));
        QCOMPARE(host, QStringLiteral("127.0.0.1"));
        QVERIFY(!parseListenAddress(u"host:port", &host, &port));
    }

    void secretsFromTheCredentialsDirectory_optionsAndVariablesWin()
    {
        QTemporaryDir credentials;
        QVERIFY(credentials.isValid());
        auto write = [&](const QString &name, const QByteArray &content) {
            QFile file(credentials.filePath(name));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
        };
        write(QStringLiteral("token-secret"), "credential-token-secret-0123\n");
        write(QStringLiteral("admin-token"), "\n"); // the unit's SetCredential= default
        write(QStringLiteral("redis-password"), "pw");
        write(QStringLiteral("file-password"), "from-a-file\n");
        QProcessEnvironment env;
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), credentials.path());
        auto parsed = parse({}, env);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(parsed.options.tokenSecret, QByteArray("credential-token-secret-0123"));
        QVERIFY(parsed.options.adminToken.isNull()); // empty credential: not configured
        QCOMPARE(parsed.options.redisPassword, QByteArray("pw"));

        env.insert(QStringLiteral("PRESENCE_TOKEN_SECRET"),
                   QStringLiteral("from-the-environment-0123"));
        parsed = parse({QStringLiteral("--redis-password-file"),
                        credentials.filePath(QStringLiteral("file-password"))},
                       env);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(parsed.options.tokenSecret, QByteArray("from-the-environment-0123"));
        QCOMPARE(parsed.options.redisPassword, QByteArray("from-a-file"));

        write(QStringLiteral("token-secret"), "short");
        env.remove(QStringLiteral("PRESENCE_TOKEN_SECRET"));
        parsed = parse({}, env);
        QCOMPARE(parsed.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(parsed.text.contains(u"at least 16 characters"), qPrintable(parsed.text));
    }

    void redisPasswordFromTheEnvironment_andUnreadableFile()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_REDIS_PASSWORD"), QStringLiteral("s3cret"));
        QCOMPARE(parse({}, env).options.redisPassword, QByteArray("s3cret"));
        const auto missing =
            parse({QStringLiteral("--redis-password-file"), QStringLiteral("/nonexistent/pw")});
        QCOMPARE(missing.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(missing.text.contains(u"--redis-password-file: cannot read /nonexistent/pw"),
                 qPrintable(missing.text));
    }

    void tlsFiles_needTheirPartner_andATlsRedisUrl()
    {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PRESENCE_REDIS"), QStringLiteral("rediss://cache:6380"));
        env.insert(QStringLiteral("PRESENCE_REDIS_TLS_CA"), QStringLiteral("/etc/ca.pem"));
        const auto fromEnv = parse({}, env);
        QCOMPARE(fromEnv.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(fromEnv.options.redisTlsCa, QStringLiteral("/etc/ca.pem"));

        const auto plain = parse({QStringLiteral("--redis"), QStringLiteral("redis://cache:6379"),
                                  QStringLiteral("--redis-tls-ca"), QStringLiteral("/etc/ca.pem")});
        QCOMPARE(plain.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(plain.text.contains(u"need a rediss://"), qPrintable(plain.text));

        const auto half = parse({QStringLiteral("--redis"), QStringLiteral("rediss://cache:6380"),
                                 QStringLiteral("--redis-tls-cert"), QStringLiteral("/etc/c.pem")});
        QCOMPARE(half.outcome, OptionsParse::Outcome::Error);
        QVERIFY2(half.text.contains(u"go together"), qPrintable(half.text));

        const auto https = parse({QStringLiteral("--tls-cert"), QStringLiteral("/etc/c.pem"),
                                  QStringLiteral("--tls-key"), QStringLiteral("/etc/k.pem")});
        QCOMPARE(https.outcome, OptionsParse::Outcome::Run);
        QCOMPARE(https.options.tlsKey, QStringLiteral("/etc/k.pem"));
        QCOMPARE(parse({QStringLiteral("--tls-key"), QStringLiteral("/etc/k.pem")}).outcome,
                 OptionsParse::Outcome::Error);
    }

    void checkConfigAndManPageOutcomes()
    {
        QCOMPARE(parse({QStringLiteral("--check-config")}).outcome,
                 OptionsParse::Outcome::CheckConfig);
        QCOMPARE(parse({QStringLiteral("--check-config"), QStringLiteral("--grace"),
                        QStringLiteral("x")})
                     .outcome,
                 OptionsParse::Outcome::Error);
        QCOMPARE(parse({QStringLiteral("--help-man")}).outcome, OptionsParse::Outcome::ShowManPage);
    }
};

QTEST_GUILESS_MAIN(TestOptions)
#include "tst_options.moc"
