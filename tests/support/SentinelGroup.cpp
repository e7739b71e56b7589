#include "SentinelGroup.h"

#include "FreePort.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QHostAddress>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <csignal>

namespace presence::test {

namespace {

// Polls `done` until it holds or the deadline passes, running the test's event loop meanwhile
// (the code under test may live in this process).
template <typename Check>
bool pollUntil(Check done, int timeoutMs)
{
    return QTest::qWaitFor(done, timeoutMs);
}

} // namespace

// Redis 7 waits repl-diskless-sync-delay (5 s) for more replicas before a full sync: with one
// replica that is 5 s of a group that cannot fail over.
void SentinelGroup::noSyncDelay(quint16 port)
{
    askRedis(port, "CONFIG SET repl-diskless-sync-delay 0");
}

QByteArray askRedis(quint16 port, const QByteArray &inlineCommand, int timeoutMs)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(inlineCommand + "\r\n");
    QByteArray answer;
    const QDeadlineTimer deadline(timeoutMs);
    // Good enough for the short answers asked for here: wait for a pause after some bytes.
    while (!deadline.hasExpired() && socket.waitForReadyRead(answer.isEmpty() ? int(deadline.remainingTime()) : 50))
        answer += socket.readAll();
    return answer;
}

SentinelGroup::SentinelGroup() = default;

SentinelGroup::~SentinelGroup()
{
    for (auto &sentinel : m_sentinels) {
        if (sentinel && sentinel->state() != QProcess::NotRunning) {
            ::kill(pid_t(sentinel->processId()), SIGCONT);
            sentinel->kill();
            sentinel->waitForFinished(5000);
        }
    }
}

bool SentinelGroup::fail(const QString &why)
{
    m_error = why;
    return false;
}

bool SentinelGroup::start()
{
    if (!m_dir.isValid())
        return fail(QStringLiteral("cannot make a temporary folder"));
    m_servers[0] = std::make_unique<RedisTestServer>();
    if (!m_servers[0]->start())
        return fail(QStringLiteral("primary: ") + m_servers[0]->errorString());
    m_servers[1] = std::make_unique<RedisTestServer>(
        QStringList{QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"),
                    QString::number(m_servers[0]->port())});
    if (!m_servers[1]->start())
        return fail(QStringLiteral("replica: ") + m_servers[1]->errorString());
    for (const auto &server : m_servers)
        noSyncDelay(server->port());
    if (!pollUntil([this] {
            return askRedis(m_servers[1]->port(), "INFO replication").contains("master_link_status:up");
        }, 15000))
        return fail(QStringLiteral("the replica did not sync with the primary within 15 s"));
    for (int i = 0; i < 3; ++i) {
        if (!startSentinel(i))
            return false;
    }
    const QByteArray quorum = QByteArray("SENTINEL CKQUORUM ") + masterName;
    if (!pollUntil([&] { return askRedis(m_sentinelPorts[0], quorum).startsWith("+OK 3 usable"); },
                   20000))
        return fail(QStringLiteral("the Sentinels did not find each other within 20 s: %1")
                        .arg(QString::fromUtf8(askRedis(m_sentinelPorts[0], quorum))));
    const QByteArray replicas = QByteArray("SENTINEL REPLICAS ") + masterName;
    if (!pollUntil([&] {
            for (quint16 port : m_sentinelPorts) {
                if (!askRedis(port, replicas).contains(QByteArray::number(replica().port())))
                    return false;
            }
            return true;
        }, 20000))
        return fail(QStringLiteral("the Sentinels did not find the replica within 20 s"));
    return true;
}

bool SentinelGroup::startSentinel(int index)
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (program.isEmpty())
        return fail(QStringLiteral("redis-server not found (install the redis-server package)"));
    for (int attempt = 0; attempt < 5; ++attempt) {
        const quint16 port = freeLoopbackPort();
        const QString config = m_dir.filePath(QStringLiteral("sentinel-%1.conf").arg(index));
        QFile file(config);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return fail(QStringLiteral("cannot write %1").arg(config));
        // down-after 2 s: a Sentinel pings every min(down-after, 1 s), so with a 1 s down-after
        // one late cron tick on a loaded machine was a "down" primary: a freshly promoted one
        // was failed over again at once (to its old self, just restarted and maybe not synced),
        // or the aborted attempt barred every failover for 2 × failover-timeout.
        file.write(QStringLiteral("port %1\nbind 127.0.0.1\ndaemonize no\ndir %2\n"
                                  "sentinel monitor %3 127.0.0.1 %4 2\n"
                                  "sentinel down-after-milliseconds %3 2000\n"
                                  "sentinel failover-timeout %3 10000\n"
                                  "sentinel parallel-syncs %3 1\n")
                       .arg(port)
                       .arg(m_dir.path(), QLatin1StringView(masterName))
                       .arg(primary().port())
                       .toUtf8());
        file.close();
        auto process = std::make_unique<QProcess>();
        process->setProcessChannelMode(QProcess::MergedChannels);
        process->start(program, {config, QStringLiteral("--sentinel")});
        if (!process->waitForStarted(5000))
            return fail(QStringLiteral("cannot run %1 --sentinel").arg(program));
        if (pollUntil([&] { return askRedis(port, "PING").startsWith("+PONG"); }, 5000)) {
            m_sentinels[index] = std::move(process);
            m_sentinelPorts[index] = port;
            return true;
        }
        process->kill();
        process->waitForFinished(5000);
    }
    return fail(QStringLiteral("Sentinel %1 did not start").arg(index));
}

RedisUrl SentinelGroup::url() const
{
    return *RedisUrl::parse(urlText());
}

QString SentinelGroup::urlText() const
{
    return QStringLiteral("redis-sentinel://127.0.0.1:%1,127.0.0.1:%2,127.0.0.1:%3#%4")
        .arg(m_sentinelPorts[0])
        .arg(m_sentinelPorts[1])
        .arg(m_sentinelPorts[2])
        .arg(QLatin1StringView(masterName));
}

bool SentinelGroup::killPrimary()
{
    if (!primary().kill9())
        return fail(primary().errorString());
    m_primary = 1 - m_primary;
    return true;
}

bool SentinelGroup::isPromoted(quint16 port)
{
    const QByteArray ask = QByteArray("SENTINEL GET-MASTER-ADDR-BY-NAME ") + masterName;
    const QByteArray expected = "\r\n" + QByteArray::number(port) + "\r\n";
    for (quint16 sentinel : m_sentinelPorts) {
        if (!askRedis(sentinel, ask).contains(expected))
            return false;
    }
    return askRedis(port, "ROLE").contains("master");
}

bool SentinelGroup::followSentinels()
{
    const QByteArray ask = QByteArray("SENTINEL GET-MASTER-ADDR-BY-NAME ") + masterName;
    const QByteArray other = "\r\n" + QByteArray::number(replica().port()) + "\r\n";
    if (!askRedis(m_sentinelPorts[0], ask).contains(other))
        return false;
    m_primary = 1 - m_primary;
    return true;
}

bool SentinelGroup::waitForPromotion(quint16 port, int timeoutMs)
{
    return pollUntil([&] { return isPromoted(port); }, timeoutMs) ||
           fail(QStringLiteral("the Sentinels did not promote port %1 in time").arg(port));
}

bool SentinelGroup::restartKilledAsReplica()
{
    if (!replica().restart())
        return fail(QStringLiteral("restarting the killed primary: ") + replica().errorString());
    // It may start as a primary of its own (its first arguments): make it a replica at once.
    // The Sentinels, which list it as a replica of the new primary, never name it meanwhile.
    noSyncDelay(replica().port());
    const QByteArray replicaOf = "REPLICAOF 127.0.0.1 " + QByteArray::number(primary().port());
    return askRedis(replica().port(), replicaOf).startsWith("+OK") ||
           fail(QStringLiteral("REPLICAOF refused by port %1").arg(replica().port()));
}

bool SentinelGroup::replicaIsReady()
{
    if (!askRedis(replica().port(), "INFO replication").contains("master_link_status:up"))
        return false;
    const QByteArray replicas = QByteArray("SENTINEL REPLICAS ") + masterName;
    const QByteArray port = "\r\n" + QByteArray::number(replica().port()) + "\r\n";
    for (quint16 sentinel : m_sentinelPorts) {
        // One replica: its flags are exactly "slave" once it answers and is connected.
        const QByteArray answer = askRedis(sentinel, replicas);
        if (!answer.contains(port) || !answer.contains("flags\r\n$5\r\nslave\r\n"))
            return false;
    }
    return true;
}

bool SentinelGroup::pauseSentinel(int index)
{
    return ::kill(pid_t(m_sentinels[index]->processId()), SIGSTOP) == 0;
}

bool SentinelGroup::resumeSentinel(int index)
{
    return ::kill(pid_t(m_sentinels[index]->processId()), SIGCONT) == 0;
}

} // namespace presence::test
