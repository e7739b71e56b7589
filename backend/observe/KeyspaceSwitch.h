#pragma once

#include "redis/RedisConnection.h"

#include <QObject>
#include <QString>

#include <functional>

namespace presence {

// The one setting an observer may change, and only when the operator asks (the dashboard
// confirms first: notify-keyspace-events is the server's, for everyone using it). Reads the
// flags, and switches expired-key events on or off by merging (KeyspaceFlags), never
// clobbering other classes. A read-only Redis user gets the server's NOPERM back as the error.
class KeyspaceSwitch final : public QObject {
    Q_OBJECT
public:
    // ok: `text` is the flags now; not ok: `text` says why.
    using Callback = std::function<void(bool ok, const QString &text)>;

    explicit KeyspaceSwitch(RedisConnection &commands, QObject *parent = nullptr);

    QString serverAddress() const { return m_commands.url().toDisplayString(); }
    // The callback is dropped uncalled when `context` is gone.
    void read(const QObject *context, Callback callback);
    void setExpiredEvents(bool on, const QObject *context, Callback callback);

private:
    RedisConnection &m_commands;
};

} // namespace presence
