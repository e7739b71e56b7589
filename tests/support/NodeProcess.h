#pragma once

#include <QByteArray>
#include <QProcess>
#include <QStringList>

namespace presence::test {

// The real `presence` binary (PRESENCE_BINARY) run headless on a free port, as an operator
// or a test harness would run it.
class NodeProcess {
public:
    NodeProcess() = default;
    ~NodeProcess();
    NodeProcess(const NodeProcess &) = delete;
    NodeProcess &operator=(const NodeProcess &) = delete;

    static QString binary();

    // The address start() listens on (default 127.0.0.1), e.g. a test namespace's host end.
    void setListenHost(const QString &host) { m_listenHost = host; }
    QString listenHost() const { return m_listenHost; }

    // Starts `presence --headless --listen <listenHost>:0 <args>` and waits for its "listening on"
    // line; false (with log() telling why) when it did not come up in time.
    bool start(const QStringList &args,
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
               int timeoutMs = 15000);
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }

    void kill9();
    void signal(int number);
    // Waits until the process ended; its exit code, or -1 when it is still running.
    int waitForExit(int timeoutMs = 10000);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    // Everything it logged so far.
    QByteArray log();

private:
    QProcess m_process;
    QByteArray m_log;
    quint16 m_port = 0;
    QString m_listenHost = QStringLiteral("127.0.0.1");
};

} // namespace presence::test
