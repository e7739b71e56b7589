#pragma once

#include "NodeProcess.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTest>

#include <functional>

namespace presence::test {

// Matches a JSON line that is a change (not a roster row) of `client` to `status`.
inline std::function<bool(const QJsonObject &)> isChange(const QString &client, const QString &status)
{
    return [client, status](const QJsonObject &line) {
        return !line.value(QStringLiteral("snapshot")).toBool()
               && line.value(QStringLiteral("client")).toString() == client
               && line.value(QStringLiteral("status")).toString() == status;
    };
}

// `presence --observe --headless …`, the real binary, its stdout read as JSON lines.
class ObserverProcess {
public:
    ~ObserverProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    void start(const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        m_process.setProcessEnvironment(env);
        m_process.start(NodeProcess::binary(), QStringList{QStringLiteral("--observe")} + args);
        m_process.waitForStarted(5000);
    }
    qint64 pid() const { return m_process.processId(); }
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    void terminate() { m_process.terminate(); }
    int waitForExit(int timeoutMs = 10000)
    {
        if (!QTest::qWaitFor([this] { return !isRunning(); }, timeoutMs))
            return -1;
        return m_process.exitCode();
    }

    // Every line so far; each must be a JSON object (a line that is not fails the caller).
    QList<QJsonObject> lines()
    {
        m_stdout += m_process.readAllStandardOutput();
        qsizetype newline;
        while ((newline = m_stdout.indexOf('\n')) >= 0) {
            const QByteArray line = m_stdout.left(newline);
            m_stdout.remove(0, newline + 1);
            const QJsonDocument document = QJsonDocument::fromJson(line);
            m_lines.append(document.isObject() ? document.object()
                                               : QJsonObject{{QStringLiteral("notJson"), QString::fromUtf8(line)}});
        }
        return m_lines;
    }
    bool waitForLine(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = 10000)
    {
        return QTest::qWaitFor(
            [&] {
                const QList<QJsonObject> all = lines();
                return std::any_of(all.begin(), all.end(), match);
            },
            timeoutMs);
    }
    QByteArray stderrText()
    {
        m_stderr += m_process.readAllStandardError();
        return m_stderr;
    }

    // Sockets of this process that are listening (TCP, IPv4 or IPv6): /proc/net/tcp* rows in
    // state 0A whose inode is one of its descriptors.
    QStringList listeningSockets() const
    {
        QSet<QString> listening;
        for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
            QFile file(QString::fromLatin1(table));
            if (!file.open(QIODevice::ReadOnly))
                continue;
            for (const QByteArray &row : file.readAll().split('\n')) {
                const QList<QByteArray> fields = row.simplified().split(' ');
                if (fields.size() > 9 && fields[3] == "0A")
                    listening.insert(QString::fromLatin1(fields[9]));
            }
        }
        QStringList found;
        const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid()));
        for (const QFileInfo &fd : fds.entryInfoList(QDir::System | QDir::NoDotAndDotDot)) {
            const QString target = fd.symLinkTarget().section(QLatin1Char('/'), -1);
            if (target.startsWith(u"socket:[")) {
                const QString inode = target.mid(8).chopped(1);
                if (listening.contains(inode))
                    found.append(inode);
            }
        }
        return found;
    }
    // How many descriptors it has open at all (a sanity check that /proc was readable).
    int descriptorCount() const
    {
        return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid())).entryList(QDir::System | QDir::NoDotAndDotDot).size());
    }

private:
    QProcess m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QList<QJsonObject> m_lines;
};

} // namespace presence::test
