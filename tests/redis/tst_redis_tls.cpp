// TLS to Redis against real TLS-only redis-servers and a CA made by openssl at test time: the
// right CA, the wrong one, a certificate for another host, mutual TLS, unreadable files.
#include "RedisTestServer.h"
#include "TestCertificates.h"
#include "redis/RedisConnection.h"

#include <QTest>
#include <memory>
#include <optional>

using presence::RedisConnection;
using presence::RedisReply;
using presence::RedisUrl;
using presence::test::RedisTestServer;
using presence::test::TestCertificates;
using State = RedisConnection::State;

namespace {

constexpr int kTimeoutMs = 10000;

std::optional<RedisReply> run(RedisConnection &connection, const QList<QByteArray> &argv)
{
    std::optional<RedisReply> result;
    connection.command(argv, [&result](const RedisReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, kTimeoutMs))
        return std::nullopt;
    return result;
}

std::unique_ptr<RedisConnection> open(const RedisUrl &url)
{
    auto connection = std::make_unique<RedisConnection>(url);
    connection->open();
    return connection;
}

// Waits until the connection has failed at least once and returns why.
QString firstFailure(RedisConnection &connection)
{
    QString error;
    QObject::connect(&connection, &RedisConnection::stateChanged, &connection,
                     [&error](State state, const QString &why) {
                         if (state == State::Down && error.isEmpty())
                             error = why;
                     });
    if (!QTest::qWaitFor([&] { return !error.isEmpty(); }, kTimeoutMs))
        return QString();
    return error;
}

} // namespace

class TestRedisTls : public QObject {
    Q_OBJECT

private:
    TestCertificates m_certificates;
    std::unique_ptr<RedisTestServer> m_server;         // server certificate, clients optional
    std::unique_ptr<RedisTestServer> m_mutual;         // client certificates required
    std::unique_ptr<RedisTestServer> m_elsewhere;      // a certificate for other.example

    std::unique_ptr<RedisTestServer> start(TestCertificates::Pair identity, bool mutual)
    {
        auto server = std::make_unique<RedisTestServer>();
        server->setTlsOnly({identity.cert, identity.key, m_certificates.ca(), mutual});
        if (!server->start())
            return nullptr;
        return server;
    }

    RedisUrl trusted(const RedisTestServer &server) const
    {
        return server.url().withTlsFiles({m_certificates.ca(), {}, {}});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_certificates.make(), qPrintable(m_certificates.errorString()));
        m_server = start(m_certificates.server(), false);
        QVERIFY(m_server);
        m_mutual = start(m_certificates.server(), true);
        QVERIFY(m_mutual);
        m_elsewhere = start(m_certificates.elsewhere(), false);
        QVERIFY(m_elsewhere);
    }

    void theRightCaConnects_andCommandsWork()
    {
        const RedisUrl url = trusted(*m_server);
        QCOMPARE(url.toDisplayString(),
                 QStringLiteral("rediss://127.0.0.1:%1/0").arg(m_server->port()));
        auto redis = open(url);
        QVERIFY2(QTest::qWaitFor([&] { return redis->state() == State::Up; }, kTimeoutMs),
                 qPrintable(redis->lastError()));
        QVERIFY(run(*redis, {"SET", "tls:key", QByteArray(100000, 'x')}).value_or(RedisReply()).isOk());
        const auto value = run(*redis, {"GET", "tls:key"});
        QVERIFY(value);
        QCOMPARE(value->toByteArray().size(), 100000);
        // Pub/sub over TLS too.
        RedisConnection subscriber(url);
        QByteArray heard;
        subscriber.subscribe({"tls:news"}, [&heard](const QByteArray &, const QByteArray &payload) {
            heard = payload;
        });
        subscriber.open();
        QVERIFY(QTest::qWaitFor([&] { return subscriber.state() == State::Up; }, kTimeoutMs));
        QVERIFY(run(*redis, {"PUBLISH", "tls:news", "hello"}));
        QVERIFY(QTest::qWaitFor([&] { return heard == "hello"; }, kTimeoutMs));
    }

    // The port really is TLS-only: a plaintext client gets no answer it can use.
    void plaintextToTheTlsPortFails()
    {
        RedisConnection::Options options;
        options.connectTimeoutMs = 1000;
        RedisConnection plain(m_server->url().withTls(false), options);
        plain.open();
        const QString error = firstFailure(plain);
        QVERIFY2(!error.isEmpty(), "a plaintext client got nowhere, but no error either");
        QVERIFY(plain.state() != State::Up);
    }

    void theWrongCaIsRefused_andNamed()
    {
        auto redis = open(m_server->url().withTlsFiles({m_certificates.wrongCa(), {}, {}}));
        const QString error = firstFailure(*redis);
        QVERIFY2(error.contains(QStringLiteral("certificate was refused")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("rediss://127.0.0.1")), qPrintable(error));
        QVERIFY(redis->state() != State::Up);
        QCOMPARE(redis->lastError(), error);
    }

    void theSystemCasDoNotTrustATestCa()
    {
        auto redis = open(m_server->url()); // no --redis-tls-ca: the system's CAs
        const QString error = firstFailure(*redis);
        QVERIFY2(error.contains(QStringLiteral("certificate was refused")), qPrintable(error));
    }

    void aCertificateForAnotherHostIsRefused()
    {
        auto redis = open(trusted(*m_elsewhere));
        const QString error = firstFailure(*redis);
        QVERIFY2(error.contains(QStringLiteral("certificate was refused")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("host name"), Qt::CaseInsensitive), qPrintable(error));
    }

    void mutualTls_needsTheClientCertificate()
    {
        auto anonymous = open(trusted(*m_mutual));
        const QString error = firstFailure(*anonymous);
        QVERIFY2(error.contains(QStringLiteral("certificate required")), qPrintable(error));
        QVERIFY(anonymous->state() != State::Up);

        const TestCertificates::Pair client = m_certificates.client();
        auto identified = open(m_mutual->url().withTlsFiles({m_certificates.ca(), client.cert, client.key}));
        QVERIFY2(QTest::qWaitFor([&] { return identified->state() == State::Up; }, kTimeoutMs),
                 qPrintable(identified->lastError()));
        QVERIFY(run(*identified, {"PING"}).value_or(RedisReply()).toByteArray() == "PONG");
    }

    void unreadableFilesAreNamed()
    {
        auto missing = open(m_server->url().withTlsFiles({QStringLiteral("/nonexistent/ca.pem"), {}, {}}));
        QString error = firstFailure(*missing);
        QVERIFY2(error.contains(QStringLiteral("cannot read the TLS CA file /nonexistent/ca.pem")),
                 qPrintable(error));

        // A key file where the CA should be: not a certificate.
        auto junk = open(m_server->url().withTlsFiles({m_certificates.client().key, {}, {}}));
        error = firstFailure(*junk);
        QVERIFY2(error.contains(QStringLiteral("holds no PEM certificate")), qPrintable(error));

        const TestCertificates::Pair client = m_certificates.client();
        auto noKey = open(m_mutual->url().withTlsFiles({m_certificates.ca(), client.cert, client.cert}));
        error = firstFailure(*noKey);
        QVERIFY2(error.contains(QStringLiteral("holds no unencrypted PEM key")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestRedisTls)
#include "tst_redis_tls.moc"
