// What presence.service relies on, checked on the real binary: --check-config's verdicts and
// exit codes, READY=1 / STOPPING=1 on $NOTIFY_SOCKET, secrets from $CREDENTIALS_DIRECTORY,
// and a man page that lists every option --help does.
#include "HttpGet.h"
#include "NodeProcess.h"
#include "RedisTestServer.h"
#include "SseTestClient.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using presence::test::HttpResult;
using presence::test::NodeProcess;
using presence::test::RedisTestServer;
using presence::test::SseTestClient;

namespace {

// The systemd side of the readiness protocol: a datagram socket at a path or an abstract name.
class NotifySocket {
public:
    explicit NotifySocket(const QByteArray &address)
        : m_address(address)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, address.constData(), size_t(address.size()));
        if (address.startsWith('@'))
            un.sun_path[0] = '\0';
        const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(address.size()));
        m_bound = m_fd >= 0 && ::bind(m_fd, reinterpret_cast<const sockaddr *>(&un), length) == 0;
    }
    ~NotifySocket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    NotifySocket(const NotifySocket &) = delete;
    NotifySocket &operator=(const NotifySocket &) = delete;

    bool isBound() const { return m_bound; }
    // The next datagram, or empty when none came within the deadline.
    QByteArray receive(int timeoutMs = 10000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        pollfd waiting{m_fd, POLLIN, 0};
        while (!deadline.hasExpired()) {
            if (::poll(&waiting, 1, int(std::max<qint64>(deadline.remainingTime(), 1))) > 0) {
                char buffer[4096];
                const ssize_t size = ::recv(m_fd, buffer, sizeof buffer, 0);
                return size > 0 ? QByteArray(buffer, size) : QByteArray();
            }
        }
        return {};
    }

private:
    QByteArray m_address;
    int m_fd = -1;
    bool m_bound = false;
};

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// presence with a soft open-file limit of `openFiles` (-1: raised to the hard limit).
Run runPresence(const QStringList &args, rlim_t openFiles = RLIM_INFINITY)
{
    QProcess process;
    process.setChildProcessModifier([openFiles] {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = openFiles == RLIM_INFINITY ? limit.rlim_max : openFiles;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    });
    process.start(NodeProcess::binary(), args);
    Run run;
    if (!process.waitForFinished(15000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

HttpResult getWithBearer(quint16 port, const QString &path, const QByteArray &token)
{
    QNetworkAccessManager manager;
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = manager.get(request);
    HttpResult result;
    if (QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000))
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    delete reply;
    return result;
}

QStringList memoryEngine()
{
    return {QStringLiteral("--backend"), QStringLiteral("memory")};
}

} // namespace

class TestServiceProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void checkConfigSaysOkAndExitsZero()
    {
        rlimit limit{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
        QVERIFY2(limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= 19564,
                 "the default session limit needs a hard open-file limit of 19564 or more here");
        const Run run =
            runPresence(QStringList{QStringLiteral("--headless"), QStringLiteral("--check-config"),
                                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} +
                        memoryEngine());
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("configuration OK\n"));
    }

    void checkConfigNamesEveryProblemAndExitsOne()
    {
        QTcpServer holder; // the port the node is told to listen on is taken
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        const Run run = runPresence(
            {QStringLiteral("--headless"), QStringLiteral("--check-config"),
             QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(holder.serverPort()),
             QStringLiteral("--redis"), QStringLiteral("redis://:hunter2hunter2@host:notaport")},
            256);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(!run.out.contains("configuration OK"), run.out.constData());
        QVERIFY2(run.err.contains("presence: --redis: "), run.err.constData());
        QVERIFY2(run.err.contains(QStringLiteral("presence: --listen 127.0.0.1:%1: ")
                                      .arg(holder.serverPort())
                                      .toUtf8()),
                 run.err.constData());
        QVERIFY2(run.err.contains("presence: open-file limit 256 is below the 19564"),
                 run.err.constData());
        QVERIFY2(!run.err.contains("hunter2"), run.err.constData());
    }

    void checkConfigReportsUnreadableSecretFilesAndBadValues()
    {
        const Run missing =
            runPresence({QStringLiteral("--check-config"), QStringLiteral("--token-secret-file"),
                         QStringLiteral("/nonexistent/token-secret")});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("--token-secret-file: cannot read /nonexistent/token-secret"),
                 missing.err.constData());
        const Run bad = runPresence(
            {QStringLiteral("--check-config"), QStringLiteral("--heartbeat"), QStringLiteral("5")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--heartbeat"), bad.err.constData());
    }

    void notifiesReadyOnceListeningAndStoppingOnSigterm_pathSocket()
    {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QByteArray address = QFile::encodeName(folder.filePath(QStringLiteral("notify")));
        NotifySocket systemd(address);
        QVERIFY(systemd.isBound());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NOTIFY_SOCKET"), QString::fromLocal8Bit(address));
        NodeProcess node;
        QVERIFY2(node.start(memoryEngine(), env), node.log().constData());
        const QByteArray ready = systemd.receive();
        QVERIFY2(ready.startsWith("READY=1\n"), ready.constData());
        QVERIFY2(ready.contains(QStringLiteral("STATUS=listening on http://127.0.0.1:%1")
                                    .arg(node.port())
                                    .toUtf8()),
                 ready.constData());
        QCOMPARE(presence::test::httpGet(node.port(), QStringLiteral("/health")).status, 200);
        node.signal(SIGTERM);
        QCOMPARE(systemd.receive(), QByteArray("STOPPING=1"));
        QCOMPARE(node.waitForExit(), 0);
    }

    void notifiesReady_abstractSocket()
    {
        const QByteArray address =
            "@presence-notify-test-" + QByteArray::number(QCoreApplication::applicationPid());
        NotifySocket systemd(address);
        QVERIFY(systemd.isBound());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NOTIFY_SOCKET"), QString::fromLatin1(address));
        NodeProcess node;
        QVERIFY2(node.start(memoryEngine(), env), node.log().constData());
        QVERIFY(systemd.receive().startsWith("READY=1\n"));
        node.signal(SIGTERM);
        QCOMPARE(node.waitForExit(), 0);
    }

    void readsSecretsFromTheCredentialsDirectory()
    {
        QTemporaryDir credentials;
        QVERIFY(credentials.isValid());
        const QByteArray adminToken = "admin-token-from-systemd-credential";
        auto write = [&](const char *name, const QByteArray &content) {
            QFile file(credentials.filePath(QString::fromLatin1(name)));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(content);
        };
        write("admin-token", adminToken + '\n');
        write("token-secret", ""); // SetCredential=token-secret: — the unit's "not configured"
        write("redis-password", "");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), credentials.path());
        env.remove(QStringLiteral("PRESENCE_ADMIN_TOKEN"));
        NodeProcess node;
        QVERIFY2(node.start(memoryEngine(), env), node.log().constData());
        QCOMPARE(presence::test::httpGet(node.port(), QStringLiteral("/metrics")).status, 401);
        QCOMPARE(getWithBearer(node.port(), QStringLiteral("/metrics"), adminToken).status, 200);
        QCOMPARE(
            getWithBearer(node.port(), QStringLiteral("/api/presence"), "wrong-token-wrong-token")
                .status,
            403);
        // The empty token secret left client tokens off: a stream opens without one.
        SseTestClient alice;
        alice.open(node.port(), "/alice");
        QVERIFY(alice.waitForHeaders());
        QCOMPARE(alice.statusCode(), 200);
        QVERIFY(!node.log().contains(adminToken));
        node.signal(SIGTERM);
        QCOMPARE(node.waitForExit(), 0);
    }

    void redisPasswordFromACredentialLogsIntoRedis()
    {
        const QByteArray password = "credential-redis-password";
        RedisTestServer redis({QStringLiteral("--requirepass"), QString::fromLatin1(password)});
        QVERIFY2(redis.start(), qPrintable(redis.errorString()));
        QTemporaryDir credentials;
        QVERIFY(credentials.isValid());
        QFile file(credentials.filePath(QStringLiteral("redis-password")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(password + '\n');
        file.close();
        const QStringList args{QStringLiteral("--redis"),
                               QStringLiteral("redis://127.0.0.1:%1").arg(redis.port())};
        auto healthOf = [](const NodeProcess &node) {
            return QString::fromUtf8(
                presence::test::httpGet(node.port(), QStringLiteral("/health")).body);
        };

        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), credentials.path());
        NodeProcess node;
        QVERIFY2(node.start(args, env), node.log().constData());
        QString health;
        QVERIFY2(
            QTest::qWaitFor(
                [&] { return (health = healthOf(node)).contains(u"\"status\":\"ok\""); }, 10000),
            qPrintable(health + QString::fromUtf8(node.log())));
        QVERIFY(!node.log().contains(password));
        node.signal(SIGTERM);
        QCOMPARE(node.waitForExit(), 0);

        // Without it the same node cannot log in: degraded, so the credential was what worked.
        NodeProcess refused;
        QVERIFY2(refused.start(args), refused.log().constData());
        QVERIFY2(QTest::qWaitFor([&] { return (health = healthOf(refused)).contains(u"degraded"); },
                                 10000),
                 qPrintable(health));
        refused.signal(SIGTERM);
        QCOMPARE(refused.waitForExit(), 0);
    }

    void manPageOfTheBuildListsEveryOptionOfHelp()
    {
        const QString path = qEnvironmentVariable("PRESENCE_MAN_PAGE");
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly),
                 qPrintable(QStringLiteral("PRESENCE_MAN_PAGE: ") + path));
        const QByteArray page = file.readAll();
        const Run help = runPresence({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        const QRegularExpression option(QStringLiteral("--([a-z][a-z-]+)"));
        int seen = 0;
        for (auto it = option.globalMatch(QString::fromUtf8(help.out)); it.hasNext(); ++seen) {
            const QString name = it.next().captured(1);
            const QByteArray roff = "\\fB\\-\\-" + name.toUtf8().replace("-", "\\-") + "\\fR";
            QVERIFY2(page.contains(roff), qPrintable(name));
        }
        QVERIFY(seen > 15);
        const Run man = runPresence({QStringLiteral("--help-man")});
        QCOMPARE(man.exitCode, 0);
        QCOMPARE(man.out, page); // the installed page is what this binary prints
    }
};

QTEST_GUILESS_MAIN(TestServiceProcess)
#include "tst_service_process.moc"
