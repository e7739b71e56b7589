#include "redis/RedisConnection.h"

#include "redis/SocketKeepAlive.h"

#include <QFile>
#include <QHostAddress>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QPointer>
#include <algorithm>
#include <hiredis/async.h>
#include <limits>
#include <vector>

Q_LOGGING_CATEGORY(lcRedis, "presence.redis")

namespace presence {

namespace {

RedisConnection *owner(const redisAsyncContext *context)
{
    return static_cast<RedisConnection *>(context->data);
}

void *stepTag(qsizetype step)
{
    return reinterpret_cast<void *>(static_cast<quintptr>(step));
}

// A subscriber's ping: SUBSCRIBE to a channel nobody publishes on. Its confirmation is a reply
// hiredis routes to us (a PING's, in subscriber mode, it drops while keeping the callback).
const QByteArray pingChannel = QByteArrayLiteral("__presence:ping");

constexpr qint64 never = std::numeric_limits<qint64>::max();

} // namespace

RedisConnection::RedisConnection(RedisUrl url, QObject *parent)
    : RedisConnection(std::move(url), Options{}, parent)
{
}

RedisConnection::RedisConnection(RedisUrl url, Options options, QObject *parent)
    : QObject(parent)
    , m_url(std::move(url))
    , m_options(std::move(options))
{
    m_reconnectTimer.setSingleShot(true);
    m_connectTimeout.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_clock.start();
    if (m_options.replyTimeoutMs > 0) {
        m_watchdog.setInterval(std::clamp(m_options.replyTimeoutMs / 4, 20, 500));
        connect(&m_watchdog, &QTimer::timeout, this, &RedisConnection::checkReplies);
    }
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        const bool resolving = !m_context;
        dropContext();
        contextLost(resolving
                        ? QStringLiteral("cannot connect to %1: cannot resolve %2 within %3 ms")
                              .arg(m_url.toDisplayString(), m_url.host())
                              .arg(m_options.connectTimeoutMs)
                        : QStringLiteral("cannot connect to %1: no answer within %2 ms")
                              .arg(m_url.toDisplayString())
                              .arg(m_options.connectTimeoutMs));
    });
}

// Pending callbacks are dropped: the context is unhooked from this object before it is
// freed, so the NULL replies hiredis hands out while freeing (now, or after the callback
// we may be destroyed from) find no owner and are ignored.
RedisConnection::~RedisConnection()
{
    m_opened = false;
    dropContext();
}

void RedisConnection::open()
{
    if (m_opened)
        return;
    m_opened = true;
    m_backoffMs = m_options.initialBackoffMs;
    connectNow();
}

void RedisConnection::connectNow()
{
    if (m_context || !m_opened)
        return;
    m_state = State::Connecting;
    const quint64 attempt = ++m_attempt;
    if (m_url.transport() == RedisUrl::Transport::Tcp &&
        QHostAddress(m_url.host()).protocol() == QAbstractSocket::UnknownNetworkLayerProtocol) {
        // A name: resolved on Qt's lookup threads, so a slow DNS never stalls the loop.
        qCDebug(lcRedis, "resolving %ls", qUtf16Printable(m_url.host()));
        m_connectTimeout.start(m_options.connectTimeoutMs);
        QHostInfo::lookupHost(m_url.host(), this, [this, attempt](const QHostInfo &info) {
            if (attempt != m_attempt || m_context || !m_opened || m_state != State::Connecting)
                return; // timed out meanwhile, or closed
            QList<QHostAddress> addresses = info.addresses();
            // IPv4 first: a server bound to 127.0.0.1 is the common case behind "localhost".
            std::stable_partition(addresses.begin(), addresses.end(), [](const QHostAddress &a) {
                return a.protocol() == QAbstractSocket::IPv4Protocol;
            });
            if (info.error() != QHostInfo::NoError || addresses.isEmpty()) {
                contextLost(QStringLiteral("cannot connect to %1: cannot resolve %2: %3")
                                .arg(m_url.toDisplayString(), m_url.host(), info.errorString()));
                Q_EMIT stateChanged(State::Connecting, {});
                return;
            }
            connectTo(addresses.first().toString().toUtf8());
        });
        Q_EMIT stateChanged(State::Connecting, {});
        return;
    }
    connectTo(m_url.host().toUtf8());
}

void RedisConnection::connectTo(const QByteArray &address)
{
    qCDebug(lcRedis, "connecting to %ls", qUtf16Printable(m_url.toDisplayString()));
    redisAsyncContext *context =
        m_url.transport() == RedisUrl::Transport::Tcp
            ? redisAsyncConnect(address.constData(), m_url.port())
            : redisAsyncConnectUnix(QFile::encodeName(m_url.socketPath()).constData());
    m_state = State::Connecting;
    if (!context || context->err) {
        const QString error = describeFailure(context ? context->errstr : "out of memory");
        if (context)
            redisAsyncFree(context);
        contextLost(error);
        Q_EMIT stateChanged(State::Connecting, {});
        return;
    }
    if (m_url.transport() == RedisUrl::Transport::Tcp) {
        enableKeepAlive(context->c.fd,
                        SocketKeepAlive{m_options.keepAliveIdleS, m_options.keepAliveIntervalS,
                                        m_options.keepAliveProbes});
    }
    m_context = context;
    context->data = this;
    m_adapter.attach(context); // before the connect callback, which asks for write events
    redisAsyncSetConnectCallback(context, &RedisConnection::onConnected);
    redisAsyncSetDisconnectCallback(context, &RedisConnection::onDisconnected);

    // Sent at once, pipelined behind the TCP handshake; the last reply means "logged in".
    QList<QList<QByteArray>> steps;
    if (m_url.hasPassword()) {
        steps.append(m_url.user().isEmpty()
                         ? QList<QByteArray>{"AUTH", m_url.password()}
                         : QList<QByteArray>{"AUTH", m_url.user().toUtf8(), m_url.password()});
    }
    if (!m_options.clientName.isEmpty())
        steps.append({"CLIENT", "SETNAME", m_options.clientName});
    if (m_url.database() != 0)
        steps.append({"SELECT", QByteArray::number(m_url.database())});
    steps.append({"PING"});
    m_handshake.clear();
    for (const QList<QByteArray> &step : std::as_const(steps)) {
        send(step, &RedisConnection::onHandshakeReply, stepTag(m_handshake.size()));
        m_handshake.append(step.first());
    }
    m_connectTimeout.start(m_options.connectTimeoutMs);
    Q_EMIT stateChanged(State::Connecting, {});
}

// The reply deadline of a command sent now: blocking reads may legitimately wait their BLOCK
// time first (BLOCK 0, forever, gets no deadline).
qint64 RedisConnection::replyDeadline(const QList<QByteArray> &argv) const
{
    qint64 allowance = m_options.replyTimeoutMs;
    if (allowance <= 0)
        return never;
    for (qsizetype i = 1; i + 1 < argv.size(); ++i) {
        if (argv[i].compare("BLOCK", Qt::CaseInsensitive) == 0) {
            bool ok = false;
            const qint64 block = argv[i + 1].toLongLong(&ok);
            if (ok && block == 0)
                return never;
            if (ok && block > 0)
                allowance += block;
            break;
        }
    }
    return m_clock.elapsed() + allowance;
}

void RedisConnection::checkReplies()
{
    if (!m_context || m_state != State::Up)
        return;
    const qint64 now = m_clock.elapsed();
    // A tick far later than its interval means this process was stalled (SIGSTOP, a frozen
    // VM), not the server: the replies may be waiting in the socket. Count from now instead.
    const qint64 stall = now - m_lastTickMs - m_watchdog.interval();
    m_lastTickMs = now;
    if (stall > m_watchdog.interval() + 250) {
        for (InFlight &waiting : m_inFlight) {
            if (waiting.deadlineMs != never)
                waiting.deadlineMs += stall;
        }
        if (m_pingDeadlineMs >= 0)
            m_pingDeadlineMs += stall;
        m_lastReplyMs = now;
        return;
    }
    const auto late = [this, now] {
        return (!m_inFlight.empty() && now > m_inFlight.front().deadlineMs) ||
               (m_pingDeadlineMs >= 0 && now > m_pingDeadlineMs);
    };
    if (late()) {
        // The reply may be in the socket already, behind a busy event loop: read it first.
        // (Reply callbacks may destroy this connection, or it may turn out closed.)
        QPointer<RedisConnection> alive(this);
        redisAsyncHandleRead(m_context);
        if (!alive || !m_context || m_state != State::Up || !late())
            return;
        const QString error =
            QStringLiteral("lost the connection to %1: no reply within %2 ms (the server is hung "
                           "or unreachable); closed it")
                .arg(m_url.toDisplayString())
                .arg(m_options.replyTimeoutMs);
        dropContext();
        return contextLost(error);
    }
    if (now - m_lastReplyMs < m_options.pingIntervalMs)
        return;
    if (isSubscriber()) {
        if (m_pingDeadlineMs < 0) {
            m_pingDeadlineMs = now + m_options.replyTimeoutMs;
            send({"SUBSCRIBE", pingChannel}, &RedisConnection::onSubscriptionReply);
        }
    } else if (m_inFlight.empty()) {
        command({"PING"});
    }
}

bool RedisConnection::send(const QList<QByteArray> &argv, HiredisCallback fn, void *privdata)
{
    std::vector<const char *> args;
    std::vector<size_t> lengths;
    args.reserve(argv.size());
    lengths.reserve(argv.size());
    for (const QByteArray &arg : argv) {
        args.push_back(arg.constData());
        lengths.push_back(static_cast<size_t>(arg.size()));
    }
    return redisAsyncCommandArgv(m_context, fn, privdata, static_cast<int>(argv.size()),
                                 args.data(), lengths.data()) == REDIS_OK;
}

void RedisConnection::command(const QList<QByteArray> &argv, ReplyCallback callback)
{
    if (argv.isEmpty())
        return failSoon(std::move(callback), "ERR empty command");
    if (isSubscriber()) {
        return failSoon(std::move(callback), "SUBSCRIBER this connection is subscribed to "
                                             "pub/sub channels; use another one for commands");
    }
    if (m_context && m_state == State::Up) {
        if (!send(argv, &RedisConnection::onCommandReply))
            return failSoon(std::move(callback), "CONNECTION the connection is closing");
        m_inFlight.push_back({std::move(callback), replyDeadline(argv)});
        return;
    }
    if (qsizetype(m_queued.size()) >= m_options.maxQueued) {
        return failSoon(std::move(callback),
                        "QUEUEFULL " + QByteArray::number(m_options.maxQueued) +
                            " commands are already waiting for Redis to come up");
    }
    m_queued.push_back({argv, std::move(callback)});
}

// Failures are reported from the event loop so a caller never sees its callback run
// before command() returned; a destroyed connection drops them with its other callbacks.
void RedisConnection::failSoon(ReplyCallback callback, const QByteArray &message)
{
    if (!callback)
        return;
    QMetaObject::invokeMethod(
        this, [callback = std::move(callback), message] { callback(RedisReply::error(message)); },
        Qt::QueuedConnection);
}

void RedisConnection::subscribe(const QList<QByteArray> &channels, MessageCallback onMessage)
{
    addSubscriptions(channels, false, std::move(onMessage));
}

void RedisConnection::psubscribe(const QList<QByteArray> &patterns, MessageCallback onMessage)
{
    addSubscriptions(patterns, true, std::move(onMessage));
}

void RedisConnection::addSubscriptions(const QList<QByteArray> &names, bool patterns,
                                       MessageCallback onMessage)
{
    if (names.isEmpty())
        return;
    for (const QByteArray &name : names)
        (patterns ? m_patterns : m_channels).insert(name, onMessage);
    // Before login the whole set goes out in loggedIn(); after it, only the new names.
    if (!m_context || !m_loggedIn)
        return;
    send(QList<QByteArray>{patterns ? "PSUBSCRIBE" : "SUBSCRIBE"} + names,
         &RedisConnection::onSubscriptionReply);
    if (m_state != State::Up)
        m_unconfirmedSubscriptions += names.size();
}

void RedisConnection::onConnected(const redisAsyncContext *context, int status)
{
    RedisConnection *self = owner(context);
    if (self && status != REDIS_OK)
        self->contextLost(self->describeFailure(context->errstr));
}

void RedisConnection::onDisconnected(const redisAsyncContext *context, int)
{
    if (RedisConnection *self = owner(context))
        self->contextLost(self->describeFailure(context->err ? context->errstr : "closed"));
}

void RedisConnection::onHandshakeReply(redisAsyncContext *context, void *reply, void *step)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    if (!reply)
        return self->contextLost(self->describeFailure(context->errstr));
    self->handshakeReply(static_cast<qsizetype>(reinterpret_cast<quintptr>(step)),
                         RedisReply::fromHiredis(static_cast<redisReply *>(reply)));
}

void RedisConnection::onCommandReply(redisAsyncContext *context, void *reply, void *)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    if (!reply) // hiredis is failing everything in flight: the connection is gone
        return self->contextLost(self->describeFailure(context->errstr));
    self->m_lastReplyMs = self->m_clock.elapsed();
    if (self->m_inFlight.empty()) // cannot happen: every sent command queued a callback
        return;
    ReplyCallback callback = std::move(self->m_inFlight.front().callback);
    self->m_inFlight.pop_front();
    // Last statement: the callback may destroy the connection.
    if (callback)
        callback(RedisReply::fromHiredis(static_cast<redisReply *>(reply)));
}

void RedisConnection::onSubscriptionReply(redisAsyncContext *context, void *reply, void *)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    if (!reply)
        return self->contextLost(self->describeFailure(context->errstr));
    self->m_lastReplyMs = self->m_clock.elapsed();
    self->subscriptionReply(RedisReply::fromHiredis(static_cast<redisReply *>(reply)));
}

void RedisConnection::handshakeReply(qsizetype step, const RedisReply &reply)
{
    if (reply.isError()) {
        const QString server = QString::fromUtf8(reply.toByteArray());
        const QString where = m_url.toDisplayString();
        QString error;
        if (m_handshake.value(step) == "AUTH")
            error = QStringLiteral("authentication failed at %1: %2").arg(where, server);
        else if (reply.toByteArray().startsWith("NOAUTH"))
            error =
                QStringLiteral("authentication required by %1, but the URL has no password (%2)")
                    .arg(where, server);
        else
            error = QStringLiteral("%1 failed at %2: %3")
                        .arg(QString::fromUtf8(m_handshake.value(step)), where, server);
        dropContext(); // hiredis defers the free until this callback returns
        return contextLost(error);
    }
    if (step == m_handshake.size() - 1)
        loggedIn();
}

void RedisConnection::loggedIn()
{
    m_loggedIn = true;
    if (!isSubscriber())
        return becomeUp();
    m_unconfirmedSubscriptions = m_channels.size() + m_patterns.size();
    if (!m_channels.isEmpty())
        send(QList<QByteArray>{"SUBSCRIBE"} + m_channels.keys(),
             &RedisConnection::onSubscriptionReply);
    if (!m_patterns.isEmpty())
        send(QList<QByteArray>{"PSUBSCRIBE"} + m_patterns.keys(),
             &RedisConnection::onSubscriptionReply);
}

void RedisConnection::subscriptionReply(const RedisReply &reply)
{
    const QList<RedisReply> &parts = reply.elements();
    const QByteArray kind = parts.value(0).toByteArray();
    if (kind == "message" && parts.size() == 3) {
        const MessageCallback handler = m_channels.value(parts[1].toByteArray());
        if (handler) // last statement: the handler may destroy the connection
            handler(parts[1].toByteArray(), parts[2].toByteArray());
    } else if (kind == "pmessage" && parts.size() == 4) {
        const MessageCallback handler = m_patterns.value(parts[1].toByteArray());
        if (handler)
            handler(parts[2].toByteArray(), parts[3].toByteArray());
    } else if (kind == "subscribe" && parts.value(1).toByteArray() == pingChannel) {
        m_pingDeadlineMs = -1; // the server answers: not hung
    } else if (kind == "subscribe" || kind == "psubscribe") {
        QPointer<RedisConnection> alive(this);
        Q_EMIT subscribed(parts.value(1).toByteArray());
        if (alive && m_state != State::Up && --m_unconfirmedSubscriptions == 0)
            becomeUp();
    } else {
        qCWarning(lcRedis, "unexpected pub/sub reply from %ls: %s",
                  qUtf16Printable(m_url.toDisplayString()), reply.toDebugString().constData());
    }
}

void RedisConnection::becomeUp()
{
    m_connectTimeout.stop();
    m_backoffMs = m_options.initialBackoffMs;
    m_state = State::Up;
    m_lastError.clear();
    m_lastReplyMs = m_clock.elapsed();
    m_pingDeadlineMs = -1;
    m_lastTickMs = m_lastReplyMs;
    if (m_options.replyTimeoutMs > 0)
        m_watchdog.start();
    qCInfo(lcRedis, "%ls is up", qUtf16Printable(m_url.toDisplayString()));
    // Queued commands go out before anything a stateChanged() slot might send.
    std::deque<QueuedCommand> queued = std::exchange(m_queued, {});
    for (QueuedCommand &waiting : queued)
        command(waiting.argv, std::move(waiting.callback));
    Q_EMIT stateChanged(State::Up, {});
}

QString RedisConnection::describeFailure(const char *hiredisError) const
{
    const QString why = QString::fromUtf8(hiredisError);
    return m_state == State::Up
               ? QStringLiteral("lost the connection to %1: %2").arg(m_url.toDisplayString(), why)
               : QStringLiteral("cannot connect to %1: %2").arg(m_url.toDisplayString(), why);
}

// The current context is gone or going: unhook it and report Down from the event loop,
// outside hiredis's call stack, where callbacks may safely do anything.
void RedisConnection::contextLost(const QString &error)
{
    forgetContext();
    QMetaObject::invokeMethod(
        this, [this, error] { goDown(error); }, Qt::QueuedConnection);
}

void RedisConnection::forgetContext()
{
    m_connectTimeout.stop();
    m_watchdog.stop();
    m_pingDeadlineMs = -1;
    ++m_attempt; // a host lookup still under way belongs to a finished attempt
    m_loggedIn = false;
    if (!m_context)
        return;
    m_adapter.detach();
    m_context->data = nullptr;
    m_context->onConnect = nullptr;
    m_context->onDisconnect = nullptr;
    m_context = nullptr;
}

// Frees the context ourselves (hiredis did not decide to). Inside a hiredis callback the
// free is deferred by hiredis until that callback returns.
void RedisConnection::dropContext()
{
    redisAsyncContext *context = m_context;
    forgetContext();
    if (context)
        redisAsyncFree(context);
}

void RedisConnection::goDown(const QString &error)
{
    const bool wasUp = m_state == State::Up;
    const bool news = wasUp || error != m_lastError;
    m_state = State::Down;
    m_lastError = error;
    if (m_opened) {
        m_reconnectTimer.start(m_backoffMs);
        if (news) {
            qCWarning(lcRedis, "%ls; retrying in %d ms", qUtf16Printable(error), m_backoffMs);
        } else {
            qCDebug(lcRedis, "%ls; retrying in %d ms", qUtf16Printable(error), m_backoffMs);
        }
        m_backoffMs = qMin(m_backoffMs * 2, m_options.maxBackoffMs);
    }
    if (failPending(error))
        Q_EMIT stateChanged(State::Down, error);
}

// Returns false if a callback destroyed the connection.
bool RedisConnection::failPending(const QString &error)
{
    std::deque<InFlight> inFlight = std::exchange(m_inFlight, {});
    std::deque<QueuedCommand> queued = std::exchange(m_queued, {});
    const RedisReply reply = RedisReply::error("CONNECTION " + error.toUtf8());
    QPointer<RedisConnection> alive(this);
    for (InFlight &waiting : inFlight) {
        if (waiting.callback)
            waiting.callback(reply);
        if (!alive)
            return false;
    }
    for (QueuedCommand &waiting : queued) {
        if (waiting.callback)
            waiting.callback(reply);
        if (!alive)
            return false;
    }
    return true;
}

} // namespace presence
