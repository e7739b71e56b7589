#include "NodeProcess.h"

#include <QRegularExpression>
#include <QTest>

#include <csignal>

namespace presence::test {

NodeProcess::~NodeProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
}

QString NodeProcess::binary() { return qEnvironmentVariable("PRESENCE_BINARY"); }

bool NodeProcess::start(const QStringList &args, const QProcessEnvironment &env, int timeoutMs)
{
    m_process.setProcessEnvironment(env);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(binary(), QStringList{QStringLiteral("--headless"), QStringLiteral("--listen"),
                                          m_listenHost + QStringLiteral(":0")}
                                  + args);
    if (!m_process.waitForStarted(5000)) {
        m_log += "cannot start " + binary().toUtf8() + ": " + m_process.errorString().toUtf8();
        return false;
    }
    const QRegularExpression listening(QStringLiteral("listening on http://%1:(\\d+)")
                                           .arg(QRegularExpression::escape(m_listenHost)));
    // The outcome is read from m_port below, whichever way the wait ended.
    [[maybe_unused]] const bool answered = QTest::qWaitFor(
        [&] {
            m_log += m_process.readAll();
            const auto match = listening.match(QString::fromUtf8(m_log));
            if (match.hasMatch())
                m_port = quint16(match.captured(1).toUInt());
            return m_port != 0 || m_process.state() == QProcess::NotRunning;
        },
        timeoutMs);
    return m_port != 0;
}

void NodeProcess::kill9() { signal(SIGKILL); }

void NodeProcess::signal(int number)
{
    if (m_process.state() != QProcess::NotRunning)
        ::kill(pid_t(m_process.processId()), number);
}

int NodeProcess::waitForExit(int timeoutMs)
{
    // waitForFinished() is false for a process that already ended: poll the state instead.
    if (!QTest::qWaitFor([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs))
        return -1;
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : 128 + SIGKILL;
}

QByteArray NodeProcess::log()
{
    m_log += m_process.readAll();
    return m_log;
}

} // namespace presence::test
