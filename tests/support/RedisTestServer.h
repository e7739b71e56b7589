#pragma once

#include "redis/RedisUrl.h"

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <optional>

namespace presence::test {

// A private redis-server for one test: a free TCP port on 127.0.0.1 plus a unix socket in a
// temporary folder, no persistence, killed in the destructor. start(), stop() and restart()
// return false with errorString() set, so a test QFAILs (never skips) when Redis is missing
// or will not start. restart() keeps the port, for reconnect tests.
class RedisTestServer {
public:
    // TLS only: the TCP port speaks TLS and nothing else (the unix socket stays plain, which
    // is how start() checks it answers).
    struct TlsOnly {
        QString cert;
        QString key;
        QString ca;               // clients' certificates must chain to it (if required)
        bool clientCertificates = false; // --tls-auth-clients yes
    };

    explicit RedisTestServer(QStringList extraArgs = {});
    void setTlsOnly(TlsOnly tls) { m_tls = std::move(tls); }
    ~RedisTestServer();
    RedisTestServer(const RedisTestServer &) = delete;
    RedisTestServer &operator=(const RedisTestServer &) = delete;

    bool start();
    bool stop();
    bool restart();
    // SIGSTOP / SIGCONT: a hung server (its sockets stay open, nothing answers). stop() and
    // the destructor resume it first.
    bool pause();
    bool resume();
    bool isPaused() const { return m_paused; }
    // kill -9: gone without a word (no FIN from a shutdown, nothing saved).
    bool kill9();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

    QString errorString() const { return m_error; }
    quint16 port() const { return m_port; }
    QString unixSocketPath() const;
    // rediss:// (without TLS files) when the server is TLS-only.
    RedisUrl url(int db = 0) const
    {
        return RedisUrl::tcp(QStringLiteral("127.0.0.1"), m_port, db).withTls(m_tls.has_value());
    }
    // Everything redis-server printed so far (its log goes to stdout).
    QByteArray output();

private:
    bool launch(bool *portTaken);
    bool waitUntilAnswering(int timeoutMs);
    bool fail(const QString &why);

    QStringList m_extraArgs;
    QTemporaryDir m_dir;
    QProcess m_process;
    QByteArray m_output;
    QString m_error;
    quint16 m_port = 0;
    bool m_paused = false;
    std::optional<TlsOnly> m_tls;
};

} // namespace presence::test
