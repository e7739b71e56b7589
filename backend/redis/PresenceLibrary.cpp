#include "PresenceLibrary.h"

#include <QFile>
#include <QRegularExpression>

namespace presence {

QByteArray PresenceLibrary::source()
{
    QFile file(QStringLiteral(":/presence/redis/presence.lua"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

int PresenceLibrary::version()
{
    static const QRegularExpression declared(QStringLiteral("local VERSION = (\\d+)"));
    return declared.match(QString::fromUtf8(source())).captured(1).toInt();
}

void PresenceLibrary::load(RedisConnection &connection, Done done)
{
    const QByteArray code = source();
    if (code.isEmpty()) {
        done(false, QStringLiteral("the presence.lua resource is missing from this build"));
        return;
    }
    const int ours = version();
    connection.command({"FCALL", "presence_version", "0"}, [&connection, code, ours,
                                                            done](const RedisReply &loaded) {
        bool ok = false;
        const qint64 theirs = loaded.toInteger(&ok);
        if (ok && theirs > ours) {
            done(true, QStringLiteral("kept the newer presence library v%1 already loaded (this "
                                      "build has v%2)")
                           .arg(theirs)
                           .arg(ours));
            return;
        }
        connection.command({"FUNCTION", "LOAD", "REPLACE", code}, [done, ours](const RedisReply &reply) {
            if (reply.isError()) {
                const QString error = QString::fromUtf8(reply.toByteArray());
                done(false, error.contains(QLatin1String("unknown command"), Qt::CaseInsensitive)
                                ? QStringLiteral("this Redis has no FUNCTION command (Redis 7 or "
                                                 "newer is needed): ")
                                      + error
                                : QStringLiteral("FUNCTION LOAD failed: ") + error);
                return;
            }
            done(true, QStringLiteral("loaded the presence library v%1").arg(ours));
        });
    });
}

} // namespace presence
