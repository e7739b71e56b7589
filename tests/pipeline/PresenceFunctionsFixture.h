#pragma once
// What the function-library tests share (tst_presence_functions: connections, leaves,
// timeouts, nodes; tst_heartbeat_functions: heartbeats; tst_diagnostics_functions): a real
// redis-server, one connection to it, the library loaded afresh before each test, and the
// calls as helpers.
#include "RedisCommand.h"
#include "RedisTestServer.h"
#include "redis/PresenceLibrary.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QTest>
#include <memory>
#include <optional>

namespace presence::test {

class PresenceFunctionsFixture : public QObject {
protected:
    RedisTestServer m_server;
    std::unique_ptr<RedisConnection> m_redis;

    // For initTestCase().
    void startServer()
    {
        QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
        m_redis = std::make_unique<RedisConnection>(m_server.url());
        m_redis->open();
        QVERIFY(waitUntilUp(*m_redis));
    }

    // For init(): an empty store with this build's library.
    void loadLibraryAfresh()
    {
        QVERIFY(run({"FLUSHALL"}).isOk());
        std::optional<bool> loaded;
        PresenceLibrary::load(*m_redis, [&](bool ok, const QString &message) {
            QVERIFY2(ok, qPrintable(message));
            loaded = ok;
        });
        QTRY_VERIFY(loaded.has_value());
        QVERIFY(*loaded);
    }


    RedisReply run(const QList<QByteArray> &argv) { return runCommand(*m_redis, argv); }

    qint64 redisNowMs()
    {
        const RedisReply time = run({"TIME"});
        return time.elements().value(0).toInteger() * 1000 +
               time.elements().value(1).toInteger() / 1000;
    }

    QStringList transitions() { return streamTransitions(*m_redis); }

    RedisReply connect(const char *node, const char *client, int count, qint64 ttl = 1000)
    {
        return run({"FCALL", "presence_connect", "0", "", "1000", "100", QByteArray::number(ttl),
                    node, client, QByteArray::number(count)});
    }
    RedisReply leave(const char *node, const char *client)
    {
        return run({"FCALL", "presence_leave", "0", "", "1000", "100", node, client});
    }
    RedisReply sweep()
    {
        return run({"FCALL", "presence_sweep", "0", "", "1000", "100", "sweeper", "1000"});
    }
    // Issues the commands pipelined and waits for every reply (QTest::qWaitFor polls every
    // 10 ms, so one round trip at a time would make bulk tests crawl).
    void runAll(const QList<QList<QByteArray>> &commands)
    {
        int answered = 0;
        for (const auto &argv : commands)
            m_redis->command(argv, [&answered](const RedisReply &) { ++answered; });
        QVERIFY(QTest::qWaitFor([&] { return answered == commands.size(); }, 20000));
    }
    QList<QByteArray> connectArgs(const QByteArray &client)
    {
        return {"FCALL", "presence_connect", "0", "", "1000", "100", "1000", "n1", client, "1"};
    }
    QList<QByteArray> leaveArgs(const QByteArray &client)
    {
        return {"FCALL", "presence_leave", "0", "", "1000", "100", "n1", client};
    }
    // Decisions go by the node index (presence_alive writes it), not by the node's own key.
    void nodeAlive(const char *node)
    {
        run({"ZADD", "presence:nodes", QByteArray::number(redisNowMs() + 60000), node});
    }
    // node -> connections, from the member's field of presence:conns (library v8).
    QJsonObject connsOf(const QByteArray &member)
    {
        return QJsonDocument::fromJson(run({"HGET", "presence:conns", member}).toByteArray()).object();
    }
};

} // namespace presence::test
