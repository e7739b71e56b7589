#pragma once

#include "redis/RedisUrl.h"

#include <QProcess>
#include <QTemporaryDir>

namespace presence {

// The embedded default: a private redis-server for this process alone, on a unix socket in a
// temporary folder, with no persistence. It dies with us, even on kill -9 (the kernel sends it
// SIGKILL when its parent goes: PR_SET_PDEATHSIG), and its folder is removed on a clean exit.
class EmbeddedRedis final {
public:
    EmbeddedRedis() = default;
    ~EmbeddedRedis();
    EmbeddedRedis(const EmbeddedRedis &) = delete;
    EmbeddedRedis &operator=(const EmbeddedRedis &) = delete;

    // The redis-server on PATH, or empty.
    static QString findServer();

    // Starts the server and waits until it accepts connections; false with *error otherwise.
    bool start(QString *error, int timeoutMs = 10000);
    void stop();
    bool isRunning() const { return m_process.state() == QProcess::Running; }
    qint64 pid() const { return m_process.processId(); }
    RedisUrl url() const;

private:
    QTemporaryDir m_folder;
    QProcess m_process;
};

} // namespace presence
