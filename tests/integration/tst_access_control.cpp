// Access control over real sockets: client tokens on the streams, the admin token on /api and
// /metrics, the CORS allow-list; the exact status of every refusal, and a server that stays up.
#include "NodeProcess.h"
#include "SseTestClient.h"
#include "app/PresenceBackend.h"

#include <QDateTime>
#include <QTemporaryFile>
#include <QTest>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::SseTestClient;

namespace {
const QByteArray secret = "test-secret-0123456789";
const QByteArray admin = "admin-token-0123456789";
ClientId id(const char *text) { return *ClientId::fromString(QString::fromLatin1(text)); }
} // namespace

class TestAccessControl : public QObject {
    Q_OBJECT

    std::unique_ptr<PresenceBackend> m_backend;
    quint16 m_port = 0;

    std::unique_ptr<SseTestClient> get(const QByteArray &path, const QList<QByteArray> &headers = {})
    {
        auto client = std::make_unique<SseTestClient>();
        client->open(m_port, path, {}, headers);
        if (!client->waitForHeaders())
            qWarning() << "no answer for" << path;
        return client;
    }
    QByteArray token(const char *client, qint64 validForSeconds = 3600)
    {
        return ClientTokens(secret).mint(id(client), QDateTime::currentSecsSinceEpoch() + validForSeconds);
    }

private Q_SLOTS:
    void init()
    {
        Options options;
        options.listenPort = 0;
        options.engine = EngineChoice::Memory;
        options.tokenSecret = secret;
        options.adminToken = admin;
        options.corsOrigins = {QStringLiteral("https://app.example")};
        m_backend = std::make_unique<PresenceBackend>(options);
        QString error;
        QVERIFY2(m_backend->start(&error), qPrintable(error));
        m_port = m_backend->port();
    }
    void cleanup() { m_backend.reset(); }

    void streamsNeedATokenForThatClient()
    {
        auto none = get("/alice");
        QCOMPARE(none->statusCode(), 401);
        QVERIFY(none->header("WWW-Authenticate").startsWith("Bearer"));
        QTRY_VERIFY(none->body().contains("token is required"));

        auto forged = get("/alice?token=" + token("bob"));
        QCOMPARE(forged->statusCode(), 403);
        QTRY_VERIFY(forged->body().contains("not issued for this client"));

        auto expired = get("/alice?token=" + token("alice", -10));
        QCOMPARE(expired->statusCode(), 403);
        QTRY_VERIFY(expired->body().contains("expired"));

        auto junk = get("/alice?token=%00%ff");
        QCOMPARE(junk->statusCode(), 403);

        auto good = get("/alice?token=" + token("alice"));
        QCOMPARE(good->statusCode(), 200);
        auto bearer = get("/bob", {"Authorization: Bearer " + token("bob")});
        QCOMPARE(bearer->statusCode(), 200);
        QVERIFY(good->waitForStatus(QStringLiteral("bob"), QStringLiteral("ONLINE")));
        QCOMPARE(m_backend->realtime().sessionCount(), qsizetype(2));
    }

    void apiAndMetricsNeedTheAdminToken()
    {
        for (const QByteArray &path : {QByteArray("/metrics"), QByteArray("/api/presence")}) {
            auto none = get(path);
            QCOMPARE(none->statusCode(), 401);
            auto wrong = get(path, {"Authorization: Bearer not-the-admin-token"});
            QCOMPARE(wrong->statusCode(), 403);
            auto right = get(path, {"Authorization: Bearer " + admin});
            QCOMPARE(right->statusCode(), 200);
        }
        // Health stays open for load balancers.
        QCOMPARE(get("/health")->statusCode(), 200);
    }

    void corsAllowList()
    {
        auto allowed = get("/health", {"Origin: https://app.example"});
        QCOMPARE(allowed->statusCode(), 200);
        QCOMPARE(allowed->header("Access-Control-Allow-Origin"), QByteArray("https://app.example"));
        auto stream = get("/carol?token=" + token("carol"), {"Origin: https://app.example"});
        QCOMPARE(stream->statusCode(), 200);
        QCOMPARE(stream->header("Access-Control-Allow-Origin"), QByteArray("https://app.example"));
        auto refused = get("/health", {"Origin: https://evil.example"});
        QCOMPARE(refused->statusCode(), 403);
        QTRY_VERIFY(refused->body().contains("not allowed"));
        QVERIFY(refused->header("Access-Control-Allow-Origin").isEmpty());
        auto noOrigin = get("/health");
        QVERIFY(noOrigin->header("Access-Control-Allow-Origin").isEmpty());
    }

    void secretsComeFromFilesOrTheEnvironment_neverTheCommandLineOrTheLog()
    {
        QTemporaryFile secretFile;
        QVERIFY(secretFile.open());
        secretFile.write("file-secret-0123456789\n");
        secretFile.flush();
        NodeProcess node;
        QVERIFY2(node.start({QStringLiteral("--backend"), QStringLiteral("memory"),
                             QStringLiteral("--token-secret-file"), secretFile.fileName()}),
                 node.log().constData());
        SseTestClient refused;
        refused.open(node.port(), "/alice");
        QVERIFY(refused.waitForHeaders());
        QCOMPARE(refused.statusCode(), 401);
        const QByteArray minted = ClientTokens("file-secret-0123456789").mint(id("alice"), QDateTime::currentSecsSinceEpoch() + 60);
        SseTestClient accepted;
        accepted.open(node.port(), "/alice?token=" + minted);
        QVERIFY(accepted.waitForHeaders());
        QCOMPARE(accepted.statusCode(), 200);
        QVERIFY(!node.log().contains("file-secret"));

        // There is no option that takes a secret itself.
        QProcess cli;
        cli.start(NodeProcess::binary(), {QStringLiteral("--headless"), QStringLiteral("--token-secret"),
                                          QStringLiteral("on-the-command-line")});
        QVERIFY(cli.waitForFinished(5000));
        QCOMPARE(cli.exitCode(), 2);

        // --mint-token prints a token the server accepts.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PRESENCE_TOKEN_SECRET"), QStringLiteral("file-secret-0123456789"));
        QProcess mint;
        mint.setProcessEnvironment(env);
        mint.start(NodeProcess::binary(), {QStringLiteral("--mint-token"), QStringLiteral("dave")});
        QVERIFY(mint.waitForFinished(5000));
        QCOMPARE(mint.exitCode(), 0);
        SseTestClient dave;
        dave.open(node.port(), "/dave?token=" + mint.readAllStandardOutput().trimmed());
        QVERIFY(dave.waitForHeaders());
        QCOMPARE(dave.statusCode(), 200);
    }
};

QTEST_GUILESS_MAIN(TestAccessControl)
#include "tst_access_control.moc"
