#include "LatencyRun.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>

#include <cmath>

namespace presence::bench {

QString LatencyRun::pathName(Path path)
{
    switch (path) {
    case Path::NotificationsOnly:
        return QStringLiteral("keyspace notifications only");
    case Path::SweepOnly:
        return QStringLiteral("reconciler sweep only");
    case Path::Both:
        break;
    }
    return QStringLiteral("notifications + sweep (default)");
}

qint64 LatencyRun::Result::percentile(double p) const
{
    if (latenessMs.isEmpty())
        return -1;
    const auto index = qsizetype(std::ceil(p / 100.0 * double(latenessMs.size()))) - 1;
    return latenessMs.at(std::clamp<qsizetype>(index, 0, latenessMs.size() - 1));
}

namespace {
// Runs the event loop until `done` or the deadline.
bool spinUntil(const std::function<bool()> &done, qint64 timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 5);
    }
    return true;
}

RedisReply runSync(RedisConnection &redis, const QList<QByteArray> &argv)
{
    std::optional<RedisReply> reply;
    redis.command(argv, [&](const RedisReply &r) { reply = r; });
    spinUntil([&] { return reply.has_value(); }, 30000);
    return reply.value_or(RedisReply::error("no reply"));
}
} // namespace

bool LatencyRun::run(Result *result, QString *error) const
{
    EmbeddedRedis redis;
    if (!redis.start(error))
        return false;

    RedisPresenceEngine::Config config;
    config.nodeId = QStringLiteral("bench");
    config.timing = PresenceTiming{1000, 1.5, 0};
    config.keyspaceNotifications = path != Path::SweepOnly;
    config.sweepIntervalMs = path == Path::NotificationsOnly ? 0 : 100;
    RedisPresenceEngine engine(redis.url(), config);

    QHash<QByteArray, qint64> seenAt; // client → wall ms of the OFFLINE at this node
    QObject::connect(&engine, &PresenceEngine::presenceChanged, &engine, [&](const PresenceEvent &e) {
        if (e.status == PresenceStatus::Offline)
            seenAt.insert(e.client.toString().toUtf8(), QDateTime::currentMSecsSinceEpoch());
    });
    engine.start();
    if (!spinUntil([&] { return engine.isReady(); }, 15000)) {
        *error = QStringLiteral("the engine did not get ready: ") + engine.health().detail;
        return false;
    }
    RedisConnection &commands = engine.commands();

    // Background: clients alive for an hour, each with its key and its deadline entry.
    int answered = 0;
    const QByteArray hourLater = QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 3600000);
    for (int i = 0; i < background; ++i) {
        const QByteArray client = "bg" + QByteArray::number(i);
        commands.command({"SET", "presence:alive:" + client, "bench", "PX", "3600000"},
                         [&](const RedisReply &) { ++answered; });
        commands.command({"ZADD", "presence:deadlines", hourLater, client},
                         [&](const RedisReply &) { ++answered; });
    }
    spinUntil([&] { return answered == 2 * background; }, 120000);

    // Measured: one heartbeat each, in one call, written as if sent over the last second in 20
    // groups, so deadlines come in 20 bursts 50 ms apart (a single burst would be one sample).
    const RedisReply time = runSync(commands, {"TIME"});
    const qint64 now = time.elements().value(0).toInteger() * 1000 + time.elements().value(1).toInteger() / 1000;
    // As the heartbeat processor calls it (presence_heartbeat_groups, due keys with notifications).
    QList<QByteArray> call{"FCALL", "presence_heartbeat_groups", "0", "", "100000", "10000",
                           QByteArray::number(ttlMs), "1"};
    QHash<QByteArray, qint64> deadlines;
    for (int group = 0; group < 20; ++group) {
        const qint64 sentAt = now - group * 50;
        QList<QByteArray> members;
        for (int i = group; i < measured; i += 20) {
            const QByteArray client = "m" + QByteArray::number(i);
            members << client << "0";
            deadlines.insert(client, sentAt + ttlMs);
        }
        call << QByteArray::number(sentAt) << "bench" << "0" << QByteArray::number(members.size() / 2);
        call += members;
    }
    const RedisReply online = runSync(commands, call);
    if (online.isError()) {
        *error = QString::fromUtf8(online.toByteArray());
        return false;
    }
    spinUntil([&] { return seenAt.size() >= measured; }, ttlMs + waitMs);
    result->latenessMs.clear();
    for (auto it = seenAt.cbegin(); it != seenAt.cend(); ++it)
        result->latenessMs.append(it.value() - deadlines.value(it.key()));
    std::sort(result->latenessMs.begin(), result->latenessMs.end());
    result->missing = measured - int(seenAt.size());
    return true;
}

} // namespace presence::bench
