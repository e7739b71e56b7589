// bench_heartbeat: how many heartbeats per second FCALL presence_heartbeat_groups turns into
// key refreshes on one Redis, driven the way HeartbeatProcessor drives it (batches of heartbeats
// in groups of --per-entry, as our nodes' many-member entries give them, through
// presence::RedisConnection, pipelined; alive keys kept, as with notifications on).
//
//   bench_heartbeat --redis unix:///path/redis.sock [--clients 100000] [--heartbeats 1000000]
//                   [--batch 1000] [--per-entry 500] [--alive 1] [--window 4] [--json FILE]
// --alive 0: no alive keys (what the processor does while expired notifications are off).
//
// A first pass over every client makes them ONLINE (each a transition: status record, deadline
// index, an XADD to the presence stream); the measured passes then only refresh clients already
// ONLINE, which is what a settled system does d times a second per client. What this leaves out
// of the processor's real loop: the nodes' XADD heartbeat, XREADGROUP and XACK (see README).
#include "redis/PresenceLibrary.h"
#include "redis/RedisConnection.h"
#include "redis/RedisUrl.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTimer>

#include <cstdio>
#include <functional>

using presence::PresenceLibrary;
using presence::RedisConnection;
using presence::RedisReply;
using presence::RedisUrl;

namespace {

struct Pass {
    qint64 total = 0;    // heartbeats to send
    qint64 sent = 0;     // heartbeats issued
    qint64 done = 0;     // heartbeats answered
    qint64 errors = 0;   // error replies
    qint64 online = 0;   // transitions reported
    qint64 elapsedNs = 0;
};

class Driver {
public:
    Driver(RedisConnection &redis, int clients, int batch, int perEntry, bool alive, int window)
        : m_redis(redis), m_clients(clients), m_batch(batch), m_perEntry(perEntry), m_alive(alive),
          m_window(window)
    {
    }

    // Sends `total` heartbeats (client ids round-robin from where the last pass stopped), at most
    // `window` batches in flight; calls `finished` once every reply is in.
    void run(qint64 total, std::function<void(const Pass &)> finished)
    {
        m_pass = Pass {};
        m_pass.total = total;
        m_finished = std::move(finished);
        m_timer.start();
        for (int i = 0; i < m_window; ++i)
            sendOne();
    }

private:
    void sendOne()
    {
        if (m_pass.sent >= m_pass.total)
            return;
        const qint64 n = std::min<qint64>(m_batch, m_pass.total - m_pass.sent);
        QList<QByteArray> call {"FCALL", "presence_heartbeat_groups", "0", "", "100000", "10000", "60000", m_alive ? "1" : "0"};
        call.reserve(8 + n * 2 + (n / m_perEntry + 1) * 4);
        const QByteArray at = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
        for (qint64 i = 0; i < n; ++i) {
            if (i % m_perEntry == 0)
                call << at << "bench" << "0" << QByteArray::number(std::min<qint64>(m_perEntry, n - i));
            call << "hb-" + QByteArray::number(m_next) << "0";
            m_next = (m_next + 1) % m_clients;
        }
        m_pass.sent += n;
        m_redis.command(call, [this, n](const RedisReply &reply) {
            if (reply.isError()) {
                ++m_pass.errors;
                if (m_pass.errors == 1)
                    std::fprintf(stderr, "bench_heartbeat: %s\n", reply.toByteArray().constData());
            } else {
                m_pass.online += reply.toInteger();
            }
            m_pass.done += n;
            if (m_pass.done >= m_pass.total) {
                m_pass.elapsedNs = m_timer.nsecsElapsed();
                m_finished(m_pass);
                return;
            }
            sendOne();
        });
    }

    RedisConnection &m_redis;
    int m_clients;
    int m_batch;
    int m_perEntry;
    bool m_alive;
    int m_window;
    qint64 m_next = 0;
    Pass m_pass;
    QElapsedTimer m_timer;
    std::function<void(const Pass &)> m_finished;
};

QJsonObject toJson(const Pass &pass)
{
    const double seconds = double(pass.elapsedNs) / 1e9;
    return QJsonObject {{QStringLiteral("heartbeats"), pass.total},
                        {QStringLiteral("errors"), pass.errors},
                        {QStringLiteral("transitions"), pass.online},
                        {QStringLiteral("seconds"), seconds},
                        {QStringLiteral("per_s"), seconds > 0 ? double(pass.total) / seconds : 0.0}};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("presence.*=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption redisOption(QStringLiteral("redis"), QStringLiteral("Redis URL (a private server: it is written to)."),
                                         QStringLiteral("URL"));
    const QCommandLineOption clientsOption(QStringLiteral("clients"), QStringLiteral("Distinct clients."),
                                           QStringLiteral("N"), QStringLiteral("100000"));
    const QCommandLineOption heartbeatsOption(QStringLiteral("heartbeats"), QStringLiteral("Heartbeats in the measured pass."),
                                              QStringLiteral("N"), QStringLiteral("1000000"));
    const QCommandLineOption batchOption(QStringLiteral("batch"), QStringLiteral("Heartbeats per FCALL."),
                                         QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption perEntryOption(QStringLiteral("per-entry"), QStringLiteral("Heartbeats per group (a node's entry)."),
                                            QStringLiteral("N"), QStringLiteral("500"));
    const QCommandLineOption aliveOption(QStringLiteral("alive"), QStringLiteral("1: keep alive keys (notifications on), 0: not."),
                                         QStringLiteral("0|1"), QStringLiteral("1"));
    const QCommandLineOption windowOption(QStringLiteral("window"), QStringLiteral("FCALLs in flight."),
                                          QStringLiteral("N"), QStringLiteral("4"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Write the results here."),
                                        QStringLiteral("FILE"));
    parser.addOptions({redisOption, clientsOption, heartbeatsOption, batchOption, perEntryOption, aliveOption, windowOption, jsonOption});
    parser.process(app);

    QString whyNot;
    const auto url = RedisUrl::parse(parser.value(redisOption), &whyNot);
    if (!url) {
        std::fprintf(stderr, "bench_heartbeat: --redis: %s\n", qPrintable(whyNot));
        return 1;
    }
    const int clients = std::max(1, parser.value(clientsOption).toInt());
    const qint64 heartbeats = std::max<qint64>(1, parser.value(heartbeatsOption).toLongLong());
    const int batch = std::max(1, parser.value(batchOption).toInt());
    const int window = std::max(1, parser.value(windowOption).toInt());
    const int perEntry = std::max(1, parser.value(perEntryOption).toInt());
    const bool alive = parser.value(aliveOption) != u"0";

    RedisConnection redis(*url);
    Driver driver(redis, clients, batch, perEntry, alive, window);
    QJsonObject result {{QStringLiteral("clients"), clients},
                        {QStringLiteral("batch"), batch},
                        {QStringLiteral("perEntry"), perEntry},
                        {QStringLiteral("aliveKeys"), alive},
                        {QStringLiteral("window"), window}};
    QTimer::singleShot(300000, &app, [] {
        std::fprintf(stderr, "bench_heartbeat: not done within 300 s\n");
        QCoreApplication::exit(1);
    });
    bool loaded = false;
    QObject::connect(&redis, &RedisConnection::stateChanged, &app, [&](RedisConnection::State state, const QString &) {
        if (state != RedisConnection::State::Up || loaded)
            return;
        loaded = true;
        PresenceLibrary::load(redis, [&](bool ok, const QString &message) {
            if (!ok) {
                std::fprintf(stderr, "bench_heartbeat: loading the library: %s\n", qPrintable(message));
                QCoreApplication::exit(1);
                return;
            }
            driver.run(clients, [&](const Pass &warmup) {
                result.insert(QStringLiteral("warmup"), toJson(warmup));
                driver.run(heartbeats, [&](const Pass &steady) {
                    const QJsonObject s = toJson(steady);
                    result.insert(QStringLiteral("steady"), s);
                    result.insert(QStringLiteral("per_s"), s.value(QStringLiteral("per_s")));
                    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Indented).constData());
                    if (parser.isSet(jsonOption)) {
                        QFile out(parser.value(jsonOption));
                        if (out.open(QIODevice::WriteOnly))
                            out.write(QJsonDocument(result).toJson());
                    }
                    QCoreApplication::exit(steady.errors == 0 && warmup.errors == 0 ? 0 : 1);
                });
            });
        });
    });
    redis.open();
    return app.exec();
}
