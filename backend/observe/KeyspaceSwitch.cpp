#include "KeyspaceSwitch.h"

#include "redis/KeyspaceFlags.h"

#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcKeyspaceSwitch, "presence.observe.keyspace")

namespace presence {

KeyspaceSwitch::KeyspaceSwitch(RedisConnection &commands, QObject *parent)
    : QObject(parent)
    , m_commands(commands)
{
}

void KeyspaceSwitch::read(const QObject *context, Callback callback)
{
    m_commands.command({"CONFIG", "GET", "notify-keyspace-events"},
                       [guard = QPointer<const QObject>(context),
                        callback = std::move(callback)](const RedisReply &reply) {
                           if (!guard)
                               return;
                           if (reply.isError() || reply.elements().size() < 2)
                               callback(false, QString::fromUtf8(reply.toByteArray()));
                           else
                               callback(true, QString::fromUtf8(reply.elements()[1].toByteArray()));
                       });
}

void KeyspaceSwitch::setExpiredEvents(bool on, const QObject *context, Callback callback)
{
    QPointer<const QObject> guard(context);
    read(this, [this, on, guard, callback = std::move(callback)](bool ok, const QString &flags) {
        if (!ok) {
            if (guard)
                callback(false, flags);
            return;
        }
        const QString wanted = on ? keyspaceFlagsWithExpired(flags) : keyspaceFlagsWithoutExpired(flags);
        qCWarning(lcKeyspaceSwitch).noquote()
            << "the operator changes notify-keyspace-events on" << serverAddress() << "from"
            << flags << "to" << wanted;
        m_commands.command({"CONFIG", "SET", "notify-keyspace-events", wanted.toUtf8()},
                           [this, guard, callback](const RedisReply &reply) {
                               if (!guard)
                                   return;
                               if (reply.isError())
                                   callback(false, QString::fromUtf8(reply.toByteArray()));
                               else
                                   read(guard, callback);
                           });
    });
}

} // namespace presence
