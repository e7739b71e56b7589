#include "RedisTestServer.h"

#include "FreePort.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QStandardPaths>
#include <QTcpServer>
#include <QLocalSocket>
#include <QTcpSocket>
#include <csignal>

namespace presence::test {

namespace {

constexpr int kStartAttempts = 5;
constexpr int kStartTimeoutMs = 10000;

QString findRedisServer()
{
    const QString fromEnv = qEnvironmentVariable("PRESENCE_REDIS_SERVER");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QString found = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (!found.isEmpty())
        return found;
    return QStandardPaths::findExecutable(QStringLiteral("redis-server"),
                                          {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin"),
                                           QStringLiteral("/usr/local/bin")});
}

} // namespace

RedisTestServer::RedisTestServer(QStringList extraArgs)
    : m_extraArgs(std::move(extraArgs))
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

RedisTestServer::~RedisTestServer()
{
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString RedisTestServer::unixSocketPath() const
{
    return m_dir.filePath(QStringLiteral("redis.sock"));
}

QByteArray RedisTestServer::output()
{
    m_output += m_process.readAll();
    return m_output;
}

bool RedisTestServer::fail(const QString &why)
{
    m_error = why;
    return false;
}

bool RedisTestServer::start()
{
    if (isRunning())
        return fail(QStringLiteral("redis-server is already running on port %1").arg(m_port));
    if (!m_dir.isValid())
        return fail(
            QStringLiteral("cannot create a temporary folder: %1").arg(m_dir.errorString()));
    for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
        m_port = freeLoopbackPort();
        if (m_port == 0)
            return fail(QStringLiteral("cannot find a free TCP port on 127.0.0.1"));
        bool portTaken = false;
        if (launch(&portTaken))
            return true;
        if (!portTaken)
            return false;
    }
    return fail(QStringLiteral("redis-server could not bind a free port in %1 attempts: %2")
                    .arg(kStartAttempts)
                    .arg(m_error));
}

bool RedisTestServer::restart()
{
    if (m_port == 0)
        return fail(QStringLiteral("restart() before start()"));
    if (isRunning() && !stop())
        return false;
    bool portTaken = false;
    return launch(&portTaken);
}

bool RedisTestServer::pause()
{
    if (!isRunning())
        return fail(QStringLiteral("pause(): redis-server is not running"));
    if (::kill(pid_t(m_process.processId()), SIGSTOP) != 0)
        return fail(QStringLiteral("cannot SIGSTOP redis-server"));
    m_paused = true;
    return true;
}

bool RedisTestServer::resume()
{
    if (!m_paused)
        return true;
    if (isRunning() && ::kill(pid_t(m_process.processId()), SIGCONT) != 0)
        return fail(QStringLiteral("cannot SIGCONT redis-server"));
    m_paused = false;
    return true;
}

bool RedisTestServer::kill9()
{
    if (!isRunning())
        return fail(QStringLiteral("kill9(): redis-server is not running"));
    m_process.kill();
    m_paused = false;
    return m_process.waitForFinished(5000) || fail(QStringLiteral("redis-server outlived kill -9"));
}

bool RedisTestServer::stop()
{
    if (!isRunning())
        return true;
    resume(); // a stopped process would not act on SIGTERM
    // SIGTERM: redis closes its clients' connections and exits (no save, as configured).
    m_process.terminate();
    if (!m_process.waitForFinished(5000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    output();
    return isRunning() ? fail(QStringLiteral("redis-server did not stop")) : true;
}

bool RedisTestServer::launch(bool *portTaken)
{
    const QString program = findRedisServer();
    if (program.isEmpty()) {
        return fail(
            QStringLiteral("redis-server not found (install the redis-server package, or "
                           "set PRESENCE_REDIS_SERVER); Redis tests fail rather than skip"));
    }
    QStringList args = {QStringLiteral("--port"),
                        QString::number(m_port),
                        QStringLiteral("--bind"),
                        QStringLiteral("127.0.0.1"),
                        QStringLiteral("--save"),
                        QString(),
                        QStringLiteral("--appendonly"),
                        QStringLiteral("no"),
                        QStringLiteral("--daemonize"),
                        QStringLiteral("no"),
                        QStringLiteral("--dir"),
                        m_dir.path(),
                        QStringLiteral("--unixsocket"),
                        unixSocketPath(),
                        QStringLiteral("--unixsocketperm"),
                        QStringLiteral("700")};
    if (m_tls) {
        args[1] = QStringLiteral("0");
        args += {QStringLiteral("--tls-port"), QString::number(m_port),
                 QStringLiteral("--tls-cert-file"), m_tls->cert,
                 QStringLiteral("--tls-key-file"), m_tls->key,
                 QStringLiteral("--tls-ca-cert-file"), m_tls->ca,
                 QStringLiteral("--tls-auth-clients"),
                 m_tls->clientCertificates ? QStringLiteral("yes") : QStringLiteral("no")};
    }
    args += m_extraArgs;
    m_output.clear();
    m_process.start(program, args);
    if (!m_process.waitForStarted(5000)) {
        return fail(QStringLiteral("cannot run %1: %2").arg(program, m_process.errorString()));
    }
    if (waitUntilAnswering(kStartTimeoutMs))
        return true;
    const QByteArray log = output();
    *portTaken = log.contains("Address already in use");
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    return fail(QStringLiteral("redis-server on port %1 did not answer PING: %2\n%3")
                    .arg(m_port)
                    .arg(m_error, QString::fromUtf8(log.right(2000))));
}

// Polls with a real PING rather than watching the log, so "ready" means "answers commands".
bool RedisTestServer::waitUntilAnswering(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    m_error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
    while (!deadline.hasExpired()) {
        if (!isRunning()) {
            m_error = QStringLiteral("redis-server exited with code %1").arg(m_process.exitCode());
            return false;
        }
        QTcpSocket tcp;
        QLocalSocket local;
        QIODevice &socket = m_tls ? static_cast<QIODevice &>(local) : tcp;
        if (m_tls)
            local.connectToServer(unixSocketPath());
        else
            tcp.connectToHost(QHostAddress::LocalHost, m_port);
        if (m_tls ? local.waitForConnected(500) : tcp.waitForConnected(500)) {
            socket.write("PING\r\n");
            QByteArray answer;
            while (!answer.contains('\n') && socket.waitForReadyRead(500))
                answer += socket.readAll();
            // -NOAUTH also proves the server is up (it was started with --requirepass).
            if (answer.startsWith("+PONG") || answer.startsWith("-NOAUTH"))
                return true;
        }
        m_process.waitForReadyRead(20); // paces the polling and collects the log meanwhile
        output();
    }
    return false;
}

} // namespace presence::test
