#pragma once

#include "redis/RedisReply.h"
#include "redis/RedisUrl.h"
#include "redis/RespProtocol.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>
#include <deque>
#include <functional>
#include <memory>

namespace presence {

// One Redis connection on the Qt event loop (hiredis async underneath), which keeps itself
// connected: after open() it connects, logs in (AUTH), selects the database, and reports Up;
// when the connection drops it reports Down and reconnects with exponential backoff.
//
// Commands: command() is binary-safe and never blocks. Commands issued back to back are
// pipelined. Issued while not Up, they wait in a bounded queue and go out once Up.
// Every command gets exactly one callback, in issue order:
//   - the server's reply (which may be an Error reply, e.g. WRONGTYPE);
//   - or an Error reply made up here when the command could not be answered: the queue was
//     full, the connection is in subscriber mode, or the connection dropped (commands in
//     flight and queued ones both fail then, rather than wait for an unknown time).
// The one exception is destruction: callbacks still pending then are dropped uncalled, since
// whatever they would touch is likely being destroyed too.
// Failure callbacks and stateChanged() run from the event loop, never from inside command().
//
// Pub/sub: a connection on which subscribe()/psubscribe() was called is a subscriber (RESP2
// allows no ordinary commands there; use a second connection for those). Its subscriptions
// are restored after every reconnect, and Up is reported only once the server confirmed them,
// so on Up a subscriber knows that nothing published from then on is missed.
//
// A hung server (SIGSTOP, a primary gone without a reset, a dead network path) is noticed
// within a reply deadline: a command unanswered for replyTimeoutMs (plus its BLOCK time, for
// blocking reads) while no reply at all came for replyTimeoutMs drops the connection, which then
// reconnects as after any drop (a deep pipeline answered steadily is busy, not hung). An idle
// connection sends a PING (a subscriber too: RESP2 answers it with a "pong" push there) so
// that even an idle hang is found within pingIntervalMs + replyTimeoutMs. TCP sockets get keepalive probes besides.
//
// Transports (RedisSocket): TCP, TLS (rediss://, the certificate checked against the host
// name; a refused certificate is the connection's lastError, never a plaintext fallback) and
// unix sockets. Host names are resolved by Qt off the event loop.
//
// Sentinel (redis-sentinel://…#MASTER): before each connect attempt the Sentinels are asked for
// the primary (SentinelPrimary), ROLE is checked after login (a demoted primary is left at
// once), a READONLY reply (a primary demoted under us) drops the connection, and a
// +switch-master from the Sentinels moves the connection to the new primary at once: the
// usual Down, then Up there, so its users re-arm as after any reconnect.
//
// Redis Cluster: a connection made with a ClusterSlotOwner serves one slot. It connects to the
// primary that serves the slot, and follows it: MOVED (the reply goes to its caller, and the
// connection moves to the new owner, a Down then Up there, so its users re-arm), ASK, TRYAGAIN
// and CLUSTERDOWN (Redis executed nothing: the command is sent again on this connection after a
// backoff, in issue order, for up to redirectRetryMs; the slot's migration ends in a MOVED).
//
// Single-threaded: use it from the thread that owns it.
class RedisSocket;
class PrimaryLocator;

class RedisConnection final : public QObject {
    Q_OBJECT
public:
    enum class State { Connecting, Up, Down };
    Q_ENUM(State)

    using ReplyCallback = std::function<void(const RedisReply &reply)>;
    using MessageCallback =
        std::function<void(const QByteArray &channel, const QByteArray &payload)>;

    struct Options {
        int connectTimeoutMs = 5000; // TCP connect + AUTH + SELECT (+ SUBSCRIBE)
        int initialBackoffMs = 100;  // first retry delay after a failure; doubles each time
        int maxBackoffMs = 5000;
        qsizetype maxQueued = 100000; // commands waiting for Up; more fail at once
        QByteArray clientName;        // CLIENT SETNAME, shown by CLIENT LIST; empty: none
        int replyTimeoutMs = 3000;    // no reply for this long (beyond BLOCK) ⇒ hung; 0: never
        int pingIntervalMs = 2000;    // idle this long ⇒ PING, so an idle hang is noticed too
        int keepAliveIdleS = 10;      // TCP keepalive: first probe after this much silence,
        int keepAliveIntervalS = 5;   // then one every this many seconds,
        int keepAliveProbes = 3;      // and the kernel drops the socket after this many unanswered
        int redirectRetryMs = 5000;   // ASK / TRYAGAIN / CLUSTERDOWN retried this long (cluster)
    };

    explicit RedisConnection(RedisUrl url, QObject *parent = nullptr);
    RedisConnection(RedisUrl url, Options options, QObject *parent = nullptr);
    // Connects wherever `locator` says (the URL gives the credentials, TLS and database).
    RedisConnection(RedisUrl url, std::unique_ptr<PrimaryLocator> locator, Options options,
                    QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts connecting (and reconnecting whenever the connection drops).
    void open();

    // What a cluster slot's connection does with a command answered ASK, TRYAGAIN or
    // CLUSTERDOWN: Retry (send it again later, in issue order) or Answer (hand the caller the
    // error now: for commands whose meaning depends on when they run, such as a sweep for
    // deadlines that may have passed only because the cluster held the heartbeats back).
    enum class Redirects { Retry, Answer };

    void command(const QList<QByteArray> &argv, ReplyCallback callback = {},
                 Redirects redirects = Redirects::Retry);
    // Sends what command() queued now instead of when the event loop next comes round: for a
    // caller with more work before it returns to the loop, while Redis would wait for this.
    void flush();

    // Subscribes to channels (SUBSCRIBE) or glob patterns (PSUBSCRIBE); `onMessage` gets the
    // channel a message was published on and its payload. Callable before open().
    void subscribe(const QList<QByteArray> &channels, MessageCallback onMessage);
    void psubscribe(const QList<QByteArray> &patterns, MessageCallback onMessage);
    bool isSubscriber() const { return !m_channels.isEmpty() || !m_patterns.isEmpty(); }

    State state() const { return m_state; }
    int replyTimeoutMs() const { return m_options.replyTimeoutMs; }
    // Why the connection last went Down (or failed to come Up); empty while Up.
    QString lastError() const { return m_lastError; }
    const RedisUrl &url() const { return m_url; }
    // The server this connection talks to (or last tried): for a Sentinel URL, the primary
    // the Sentinels named; otherwise the URL itself.
    const RedisUrl &server() const { return m_server; }
    // The URL (password hidden), and for a Sentinel group the primary it is on: for logs,
    // /health and the dashboard.
    QString serverDescription() const;
    // For a Sentinel URL, the Sentinel that last named the primary (host:port); else empty.
    QString answeringSentinel() const;
    // Cluster: commands sent again after ASK / TRYAGAIN / CLUSTERDOWN, and MOVED replies met.
    quint64 redirectRetries() const { return m_redirectRetries; }
    quint64 movedReplies() const { return m_movedReplies; }
    // Commands sent and not answered yet, and commands waiting for Up.
    qsizetype inFlightCount() const { return qsizetype(m_inFlight.size()); }
    qsizetype queuedCount() const { return qsizetype(m_queued.size()); }

Q_SIGNALS:
    void stateChanged(presence::RedisConnection::State state, const QString &error);
    // The server confirmed a (P)SUBSCRIBE, after subscribe() or after a reconnect.
    void subscribed(const QByteArray &channelOrPattern);
    // A cluster slot's connection met ASK, TRYAGAIN or CLUSTERDOWN: Redis executed nothing
    // just now, so commands (heartbeats among them) land late or wait to be sent again.
    void clusterDeferred();
    // Commands held after a deferral went through again: the failover or migration is over,
    // and heartbeats held meanwhile (this node's and others') land only now.
    void clusterResumed();

private:
    struct QueuedCommand {
        QList<QByteArray> argv;
        ReplyCallback callback;
        Redirects redirects = Redirects::Retry;
    };
    struct InFlight {
        ReplyCallback callback;
        qint64 deadlineMs;         // on m_clock; a reply later than this means the server hung
        qsizetype handshakeStep = -1; // a login step's index, or -1 for a caller's command
        QList<QByteArray> argv = {};  // kept only where redirects are retried (cluster)
        qint64 firstSentMs = -1;      // when it was first sent, for redirectRetryMs
    };

    void connectNow();
    void connectTo(const RedisUrl &server);
    void onSocketConnected();
    void onSocketReadable();
    void dispatch(const RedisReply &reply);
    bool isPubSubPush(const RedisReply &reply) const;
    void checkReplies();
    qint64 replyDeadline(const QList<QByteArray> &argv) const;
    void send(const QList<QByteArray> &argv);
    void failSoon(ReplyCallback callback, const QByteArray &message);
    void handshakeReply(qsizetype step, const RedisReply &reply);
    void loggedIn();
    void addSubscriptions(const QList<QByteArray> &names, bool patterns, MessageCallback onMessage);
    void sendSubscriptions(const QList<QByteArray> &names, bool patterns);
    void subscriptionReply(const RedisReply &reply);
    void becomeUp();
    void primaryMoved(const QString &host, quint16 port);
    bool heldForRetry(InFlight &waiting, const RedisReply &reply);
    void sendHeld();
    QString describeFailure(const QString &why) const;
    void connectionLost(const QString &error);
    void forgetSocket();
    void goDown(const QString &error);
    bool failPending(const QString &error, bool queuedToo);

    RedisUrl m_url;
    RedisUrl m_server;
    Options m_options;
    std::unique_ptr<PrimaryLocator> m_locator; // Sentinel or cluster slot; null: the URL's server
    bool m_retriesRedirects = false;           // a cluster slot's connection
    RedisSocket *m_socket = nullptr; // a child; replaced on every attempt
    RespReader m_reader;
    State m_state = State::Down;
    QString m_lastError;
    bool m_opened = false;
    bool m_locating = false;
    bool m_readingSocket = false; // inside the socket's readyRead (see the destructor)
    int m_backoffMs = 0;
    QTimer m_reconnectTimer;
    QTimer m_connectTimeout;
    QTimer m_watchdog; // checks the reply deadline while Up
    QElapsedTimer m_clock;
    qint64 m_lastReplyMs = 0;     // when anything last arrived (or we became Up)
    qint64 m_lastTickMs = 0;      // the watchdog's last tick, to tell our own stalls
    qint64 m_pingDeadlineMs = -1; // a subscriber's ping awaiting its pong
    quint64 m_attempt = 0;        // tells a stale Sentinel answer from the current one

    QList<QByteArray> m_handshake; // command names, to tell which step failed
    bool m_loggedIn = false;
    bool m_pubSubMode = false; // a (P)SUBSCRIBE went out on this socket
    qsizetype m_unconfirmedSubscriptions = 0;

    std::deque<InFlight> m_inFlight; // replies arrive in send order
    std::deque<InFlight> m_unanswered; // sent on a lost socket, failed from the event loop
    std::deque<QueuedCommand> m_queued;
    std::deque<InFlight> m_held; // redirected (ASK, TRYAGAIN, CLUSTERDOWN): sent again later
    QTimer m_heldTimer;
    int m_heldBackoffMs = 0;
    quint64 m_redirectRetries = 0;
    quint64 m_movedReplies = 0;
    QHash<QByteArray, MessageCallback> m_channels;
    QHash<QByteArray, MessageCallback> m_patterns;
};

} // namespace presence
