#include "EmbeddedRedis.h"

#include <QDeadlineTimer>
#include <QLoggingCategory>
#include <QStandardPaths>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcEmbedded, "presence.redis.embedded")

namespace presence {

EmbeddedRedis::~EmbeddedRedis() { stop(); }

QString EmbeddedRedis::findServer()
{
    QString found = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (found.isEmpty()) // Debian installs it in /usr/bin, but PATH may be minimal
        found = QStandardPaths::findExecutable(QStringLiteral("redis-server"),
                                               {QStringLiteral("/usr/bin"), QStringLiteral("/usr/local/bin"),
                                                QStringLiteral("/usr/sbin")});
    return found;
}

RedisUrl EmbeddedRedis::url() const
{
    return RedisUrl::unixSocket(m_folder.filePath(QStringLiteral("redis.sock")));
}

bool EmbeddedRedis::start(QString *error, int timeoutMs)
{
    const QString server = findServer();
    if (server.isEmpty()) {
        *error = QStringLiteral("no redis-server installed");
        return false;
    }
    if (!m_folder.isValid()) {
        *error = QStringLiteral("cannot create a temporary folder: ") + m_folder.errorString();
        return false;
    }
    const pid_t parent = ::getpid();
    m_process.setChildProcessModifier([parent] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) // the parent died before prctl took effect
            ::_exit(1);
    });
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(server, {QStringLiteral("--port"), QStringLiteral("0"),
                             QStringLiteral("--unixsocket"), m_folder.filePath(QStringLiteral("redis.sock")),
                             QStringLiteral("--unixsocketperm"), QStringLiteral("700"),
                             QStringLiteral("--save"), QString(),
                             QStringLiteral("--appendonly"), QStringLiteral("no"),
                             QStringLiteral("--dir"), m_folder.path(),
                             QStringLiteral("--daemonize"), QStringLiteral("no"),
                             QStringLiteral("--logfile"), QString()});
    if (!m_process.waitForStarted(timeoutMs)) {
        *error = QStringLiteral("cannot start %1: %2").arg(server, m_process.errorString());
        return false;
    }
    // redis-server says so when it accepts connections ("Ready to accept connections" on TCP,
    // "ready to accept connections at <socket>" on a unix socket alone): nothing to poll.
    QByteArray log;
    QDeadlineTimer deadline(timeoutMs);
    while (!log.toLower().contains("ready to accept connections")) {
        if (m_process.state() != QProcess::Running || deadline.hasExpired()) {
            *error = QStringLiteral("redis-server did not come up: ")
                     + QString::fromUtf8(log.right(500)).trimmed();
            stop();
            return false;
        }
        m_process.waitForReadyRead(int(std::clamp<qint64>(deadline.remainingTime(), 1, 100)));
        log += m_process.readAll();
    }
    // Its log is of no further interest; keep the pipe from filling.
    m_process.setReadChannel(QProcess::StandardOutput);
    QObject::connect(&m_process, &QProcess::readyRead, &m_process, [this] { m_process.readAll(); });
    qCInfo(lcEmbedded).noquote() << "private redis-server" << m_process.processId() << "on"
                                 << url().toDisplayString();
    return true;
}

void EmbeddedRedis::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(3000)) {
        m_process.kill();
        m_process.waitForFinished(1000);
    }
    qCInfo(lcEmbedded) << "private redis-server stopped";
}

} // namespace presence
