#include "redis/RedisConnection.h"

#include "redis/ClusterRedirect.h"
#include "redis/RedisSocket.h"
#include "redis/RedisTls.h"
#include "redis/SentinelPrimary.h"

#include <QLoggingCategory>
#include <QPointer>
#include <algorithm>
#include <limits>

Q_LOGGING_CATEGORY(lcRedis, "presence.redis")

namespace presence {

namespace {

constexpr qint64 never = std::numeric_limits<qint64>::max();

// How long one Sentinel gets to name the primary before the next one is asked.
constexpr int sentinelAskTimeoutMs = 1000;

} // namespace

RedisConnection::RedisConnection(RedisUrl url, QObject *parent)
    : RedisConnection(std::move(url), Options{}, parent)
{
}

RedisConnection::RedisConnection(RedisUrl url, Options options, QObject *parent)
    : RedisConnection(url, nullptr, std::move(options), parent)
{
}

RedisConnection::RedisConnection(RedisUrl url, std::unique_ptr<PrimaryLocator> locator,
                                 Options options, QObject *parent)
    : QObject(parent)
    , m_url(std::move(url))
    , m_server(m_url)
    , m_options(std::move(options))
    , m_locator(std::move(locator))
{
    if (!m_locator && m_url.isSentinel()) {
        m_locator = std::make_unique<SentinelPrimary>(
            m_url, std::min(sentinelAskTimeoutMs, m_options.connectTimeoutMs));
    }
    m_retriesRedirects = m_locator && !m_url.isSentinel();
    if (m_locator) {
        connect(m_locator.get(), &PrimaryLocator::moved, this, &RedisConnection::primaryMoved);
    }
    m_heldTimer.setSingleShot(true);
    connect(&m_heldTimer, &QTimer::timeout, this, &RedisConnection::sendHeld);
    m_reconnectTimer.setSingleShot(true);
    m_connectTimeout.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_clock.start();
    if (m_options.replyTimeoutMs > 0) {
        m_watchdog.setInterval(std::clamp(m_options.replyTimeoutMs / 4, 20, 500));
        connect(&m_watchdog, &QTimer::timeout, this, &RedisConnection::checkReplies);
    }
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        connectionLost(m_locating
                           ? m_locator->notLocatedWithin(m_url, m_options.connectTimeoutMs)
                           : QStringLiteral("cannot connect to %1: no answer within %2 ms")
                                 .arg(serverDescription())
                                 .arg(m_options.connectTimeoutMs));
    });
}

// Pending callbacks are dropped: the socket is a child and goes with us, silently.
RedisConnection::~RedisConnection()
{
    m_opened = false;
    if (!m_socket)
        return;
    m_socket->disconnect(this);
    if (m_readingSocket) {
        // Destroyed by a reply callback, inside the socket's readyRead: Qt touches the socket
        // again once that signal returns, so it must outlive this call.
        m_socket->setParent(nullptr);
        m_socket->deleteLater();
    }
}

void RedisConnection::open()
{
    if (m_opened)
        return;
    m_opened = true;
    m_backoffMs = m_options.initialBackoffMs;
    if (m_locator)
        m_locator->follow();
    connectNow();
}

void RedisConnection::connectNow()
{
    if (m_socket || m_locating || !m_opened)
        return;
    m_state = State::Connecting;
    m_connectTimeout.start(m_options.connectTimeoutMs);
    if (!m_locator) {
        connectTo(m_url);
        return;
    }
    m_locating = true;
    const quint64 attempt = ++m_attempt;
    m_locator->locate([this, attempt](const std::optional<RedisUrl> &primary, const QString &why) {
        if (attempt != m_attempt || !m_locating)
            return;
        m_locating = false;
        if (!primary)
            return connectionLost(QStringLiteral("cannot connect to %1: %2")
                                      .arg(m_url.toDisplayString(), why));
        connectTo(*primary);
    });
    Q_EMIT stateChanged(State::Connecting, {});
}

void RedisConnection::connectTo(const RedisUrl &server)
{
    m_server = server;
    qCDebug(lcRedis, "connecting to %ls", qUtf16Printable(serverDescription()));
    std::optional<QSslConfiguration> tls;
    if (server.usesTls()) {
        QString error;
        tls = redisTlsConfiguration(server.tlsFiles(), &error);
        if (!tls)
            return connectionLost(QStringLiteral("cannot connect to %1: %2").arg(serverDescription(), error));
    }
    m_reader.reset();
    m_pubSubMode = false;
    m_socket = new RedisSocket(this);
    connect(m_socket, &RedisSocket::connected, this, &RedisConnection::onSocketConnected);
    connect(m_socket, &RedisSocket::readyRead, this, &RedisConnection::onSocketReadable);
    connect(m_socket, &RedisSocket::lost, this,
            [this](const QString &why) { connectionLost(describeFailure(why)); });
    m_socket->connectTo(server, tls,
                        SocketKeepAlive{m_options.keepAliveIdleS, m_options.keepAliveIntervalS,
                                        m_options.keepAliveProbes});
    if (!m_locator) // a located connection said Connecting when it started asking
        Q_EMIT stateChanged(State::Connecting, {});
}

// Login, pipelined; the last reply (PING's) means "logged in".
void RedisConnection::onSocketConnected()
{
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
    if (m_locator && m_locator->checksRole())
        steps.append({"ROLE"});
    steps.append({"PING"});
    m_handshake.clear();
    for (const QList<QByteArray> &step : std::as_const(steps)) {
        send(step);
        m_inFlight.push_back({{}, never, m_handshake.size()});
        m_handshake.append(step.first());
    }
}

void RedisConnection::onSocketReadable()
{
    RedisSocket *socket = m_socket;
    if (!socket)
        return;
    const QByteArray bytes = socket->readAll();
    m_reader.feed(bytes.constData(), bytes.size());
    QPointer<RedisConnection> alive(this);
    RedisReply reply;
    m_readingSocket = true;
    for (;;) {
        switch (m_reader.next(&reply)) {
        case RespReader::Result::NeedMore:
            m_readingSocket = false;
            return;
        case RespReader::Result::ProtocolError:
            m_readingSocket = false;
            return connectionLost(describeFailure(
                QStringLiteral("the server broke the protocol (%1)").arg(m_reader.error())));
        case RespReader::Result::Reply:
            dispatch(reply);
            // A callback may have destroyed this connection or dropped this socket.
            if (!alive)
                return;
            if (m_socket != socket) {
                m_readingSocket = false;
                return;
            }
            break;
        }
    }
}

void RedisConnection::dispatch(const RedisReply &reply)
{
    m_lastReplyMs = m_clock.elapsed();
    if (isPubSubPush(reply))
        return subscriptionReply(reply);
    if (m_inFlight.empty()) {
        // A subscriber's (P)SUBSCRIBE refused (an ACL, say) answers with a bare error.
        return connectionLost(describeFailure(
            QStringLiteral("unexpected reply %1").arg(QString::fromUtf8(reply.toDebugString()))));
    }
    InFlight waiting = std::move(m_inFlight.front());
    m_inFlight.pop_front();
    if (waiting.handshakeStep >= 0)
        return handshakeReply(waiting.handshakeStep, reply);
    const bool deferred = m_retriesRedirects && ClusterRedirect::isDeferral(reply);
    if (deferred && heldForRetry(waiting, reply)) {
        Q_EMIT clusterDeferred(); // last: a slot may do anything
        return;
    }
    // A primary demoted under a Sentinel connection: answer the caller, then move on. A cluster
    // slot's connection whose slot moved (MOVED) likewise: its owner is asked for again.
    const bool demoted = m_locator && reply.isError() && reply.toByteArray().startsWith("READONLY");
    const bool moved = m_retriesRedirects && reply.isError() && reply.toByteArray().startsWith("MOVED");
    QPointer<RedisConnection> alive(this);
    RedisSocket *socket = m_socket;
    if (waiting.callback)
        waiting.callback(reply); // may destroy the connection
    if (!alive || m_socket != socket)
        return;
    if (deferred) {
        Q_EMIT clusterDeferred();
        if (!alive || m_socket != socket)
            return;
    }
    if (demoted) {
        connectionLost(describeFailure(
            QStringLiteral("%1 is no longer the primary (READONLY)").arg(serverDescription())));
    } else if (moved) {
        ++m_movedReplies;
        m_locator->redirected();
        m_backoffMs = m_options.initialBackoffMs;
        const auto redirect = ClusterRedirect::fromReply(reply);
        connectionLost(redirect ? m_locator->movedAway(redirect->address.host, redirect->address.port)
                                : describeFailure(QString::fromUtf8(reply.toByteArray())));
    } else if (!deferred && m_heldBackoffMs > 0 && m_held.empty()) {
        m_heldBackoffMs = 0; // the migration or failover is over
        Q_EMIT clusterResumed();
    }
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
    if (!m_socket || m_state != State::Up)
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
    // Hung: the oldest command is past its deadline and nothing at all came back for a reply
    // timeout. A long pipeline that the server answers steadily (a join storm's thousands of
    // calls queued at once) is a busy server, not a hung one: its later commands wait behind
    // the earlier ones, each reply is progress.
    const auto late = [this, now] {
        const bool silent = now - m_lastReplyMs > m_options.replyTimeoutMs;
        return (!m_inFlight.empty() && now > m_inFlight.front().deadlineMs && silent) ||
               (m_pingDeadlineMs >= 0 && now > m_pingDeadlineMs);
    };
    if (late()) {
        // The reply may be in the socket already, behind a busy event loop: read it first.
        // (Reply callbacks may destroy this connection, or it may turn out closed.)
        QPointer<RedisConnection> alive(this);
        m_socket->pollNow();
        if (!alive || !m_socket || m_state != State::Up || !late())
            return;
        return connectionLost(
            QStringLiteral("lost the connection to %1: no reply within %2 ms (the server is hung "
                           "or unreachable); closed it")
                .arg(serverDescription())
                .arg(m_options.replyTimeoutMs));
    }
    if (now - m_lastReplyMs < m_options.pingIntervalMs)
        return;
    if (isSubscriber()) {
        if (m_pingDeadlineMs < 0) {
            m_pingDeadlineMs = now + m_options.replyTimeoutMs;
            send({"PING"});
        }
    } else if (m_inFlight.empty()) {
        command({"PING"});
    }
}

void RedisConnection::send(const QList<QByteArray> &argv)
{
    QByteArray bytes;
    appendRespCommand(bytes, argv);
    m_socket->write(bytes);
}

void RedisConnection::flush()
{
    if (m_socket && m_state == State::Up)
        m_socket->flush();
}

void RedisConnection::command(const QList<QByteArray> &argv, ReplyCallback callback,
                              Redirects redirects)
{
    if (argv.isEmpty())
        return failSoon(std::move(callback), "ERR empty command");
    if (isSubscriber()) {
        return failSoon(std::move(callback), "SUBSCRIBER this connection is subscribed to "
                                             "pub/sub channels; use another one for commands");
    }
    if (m_socket && m_state == State::Up) {
        send(argv);
        if (m_retriesRedirects && redirects == Redirects::Retry)
            m_inFlight.push_back({std::move(callback), replyDeadline(argv), -1, argv, m_clock.elapsed()});
        else
            m_inFlight.push_back({std::move(callback), replyDeadline(argv)});
        return;
    }
    if (qsizetype(m_queued.size()) >= m_options.maxQueued) {
        return failSoon(std::move(callback),
                        "QUEUEFULL " + QByteArray::number(m_options.maxQueued) +
                            " commands are already waiting for Redis to come up");
    }
    m_queued.push_back({argv, std::move(callback), redirects});
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

void RedisConnection::handshakeReply(qsizetype step, const RedisReply &reply)
{
    const QByteArray name = m_handshake.value(step);
    QString error;
    if (reply.isError()) {
        const QString server = QString::fromUtf8(reply.toByteArray());
        if (name == "AUTH")
            error = QStringLiteral("authentication failed at %1: %2").arg(serverDescription(), server);
        else if (reply.toByteArray().startsWith("NOAUTH"))
            error =
                QStringLiteral("authentication required by %1, but the URL has no password (%2)")
                    .arg(serverDescription(), server);
        else
            error = QStringLiteral("%1 failed at %2: %3")
                        .arg(QString::fromUtf8(name), serverDescription(), server);
    } else if (name == "ROLE" && reply.elements().value(0).toByteArray() != "master") {
        error = QStringLiteral("%1 is a %2, not the primary of \"%3\" (the Sentinels' answer "
                               "was stale); asking them again")
                    .arg(serverDescription(),
                         QString::fromUtf8(reply.elements().value(0).toByteArray()),
                         m_url.masterName());
    }
    if (!error.isEmpty())
        return connectionLost(error);
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
        sendSubscriptions(m_channels.keys(), false);
    if (!m_patterns.isEmpty())
        sendSubscriptions(m_patterns.keys(), true);
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
    qCInfo(lcRedis, "%ls is up", qUtf16Printable(serverDescription()));
    // Held commands (redirected, never executed) first, then queued ones, before anything a
    // stateChanged() slot might send.
    sendHeld();
    std::deque<QueuedCommand> queued = std::exchange(m_queued, {});
    for (QueuedCommand &waiting : queued)
        command(waiting.argv, std::move(waiting.callback), waiting.redirects);
    Q_EMIT stateChanged(State::Up, {});
}

// A Sentinel announced a new primary: leave the old one now (its writes would be lost or
// refused) and reconnect at once, without the backoff a failing server earns.
void RedisConnection::primaryMoved(const QString &host, quint16 port)
{
    if (!m_opened)
        return;
    m_backoffMs = m_options.initialBackoffMs;
    const bool there = m_socket && m_server.host() == host && m_server.port() == port;
    if (there)
        return;
    if (m_socket || m_locating) {
        connectionLost(m_locator->movedAway(host, port));
        return;
    }
    if (m_reconnectTimer.isActive()) {
        m_reconnectTimer.stop();
        connectNow();
    }
}

QString RedisConnection::serverDescription() const
{
    if (!m_locator)
        return m_url.toDisplayString();
    return m_locator->describe(m_url, m_server);
}

QString RedisConnection::answeringSentinel() const
{
    return m_locator ? m_locator->lastAnswer() : QString();
}

QString RedisConnection::describeFailure(const QString &why) const
{
    return m_state == State::Up
               ? QStringLiteral("lost the connection to %1: %2").arg(serverDescription(), why)
               : QStringLiteral("cannot connect to %1: %2").arg(serverDescription(), why);
}

// The current attempt is over: drop its socket now and report Down from the event loop,
// outside the socket's call stack, where callbacks may safely do anything.
void RedisConnection::connectionLost(const QString &error)
{
    forgetSocket();
    // What was sent on that socket will never be answered, whatever comes next. Commands held
    // for a retry were never executed (a redirect said so): they go out again once Up (on the
    // slot's new owner, after a MOVED), within their retry window.
    for (InFlight &waiting : m_inFlight)
        m_unanswered.push_back(std::move(waiting));
    m_inFlight.clear();
    m_heldTimer.stop();
    m_heldBackoffMs = 0;
    const qint64 now = m_clock.elapsed();
    std::deque<InFlight> held = std::exchange(m_held, {});
    for (InFlight &waiting : held) {
        if (now - waiting.firstSentMs > m_options.redirectRetryMs)
            m_unanswered.push_back(std::move(waiting));
        else
            m_held.push_back(std::move(waiting));
    }
    QMetaObject::invokeMethod(
        this, [this, error] { goDown(error); }, Qt::QueuedConnection);
}

void RedisConnection::forgetSocket()
{
    m_connectTimeout.stop();
    m_watchdog.stop();
    m_pingDeadlineMs = -1;
    ++m_attempt; // a Sentinel answer still under way belongs to a finished attempt
    m_locating = false;
    if (m_locator)
        m_locator->cancel();
    m_loggedIn = false;
    m_pubSubMode = false;
    if (!m_socket)
        return;
    m_socket->disconnect(this);
    m_socket->deleteLater(); // we may be inside one of its signals
    m_socket = nullptr;
}

void RedisConnection::goDown(const QString &error)
{
    if (m_socket || m_locating) { // a newer attempt began meanwhile
        failPending(error, false);
        return;
    }
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
    if (failPending(error, true))
        Q_EMIT stateChanged(State::Down, error);
}

// Fails what a lost socket left unanswered, and with `queuedToo` what waits for Up.
// Returns false if a callback destroyed the connection.
bool RedisConnection::failPending(const QString &error, bool queuedToo)
{
    std::deque<InFlight> inFlight = std::exchange(m_unanswered, {});
    std::deque<QueuedCommand> queued;
    if (queuedToo)
        queued = std::exchange(m_queued, {});
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
