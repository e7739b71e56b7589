#include "redis/RedisCluster.h"

#include "redis/ClusterKeySlot.h"
#include "redis/ClusterRedirect.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcCluster, "presence.redis.cluster")

namespace presence {

struct RedisCluster::Request {
    QList<QByteArray> argv;
    int slot = -1;
    ReplyCallback callback;
    EveryReply every; // set: the command goes to every primary, `slot` is unused
    int redirects = 0;
    int retries = 0;
    qint64 startedMs = 0;
};

namespace {

bool isConnectionFailure(const RedisReply &reply)
{
    return reply.isError() && reply.toByteArray().startsWith("CONNECTION");
}

} // namespace

RedisCluster::RedisCluster(RedisUrl seeds, QObject *parent)
    : RedisCluster(std::move(seeds), Options(), parent)
{
}

RedisCluster::RedisCluster(RedisUrl seeds, Options options, QObject *parent)
    : QObject(parent)
    , m_seeds(std::move(seeds))
    , m_options(options)
{
    m_clock.start();
    m_askTimer.setSingleShot(true);
    connect(&m_askTimer, &QTimer::timeout, this, [this] {
        m_refreshError = QStringLiteral("no CLUSTER SHARDS answer within %1 ms")
                             .arg(m_options.askTimeoutMs);
        askNextCandidate();
    });
    m_refreshTimer.setInterval(m_options.refreshIntervalMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &RedisCluster::refresh);
    m_soonTimer.setSingleShot(true);
    connect(&m_soonTimer, &QTimer::timeout, this, [this] {
        expireWaiting();
        refresh();
    });
}

RedisCluster::~RedisCluster() = default;

void RedisCluster::open()
{
    if (m_opened)
        return;
    m_opened = true;
    if (m_seeds.transport() != RedisUrl::Transport::Tcp || m_seeds.isSentinel()) {
        m_lastError = QStringLiteral("a Redis Cluster is reached over redis:// or rediss://");
        return;
    }
    if (m_seeds.database() != 0) {
        m_lastError = QStringLiteral("a Redis Cluster has database 0 only (the URL asks for %1)")
                          .arg(m_seeds.database());
        return;
    }
    m_state = State::Connecting;
    Q_EMIT stateChanged(m_state, QString());
    m_refreshTimer.start();
    refresh();
}

RedisUrl RedisCluster::nodeUrl(const Address &node) const
{
    return m_seeds.withPrimary(node.host, node.port);
}

void RedisCluster::command(const QList<QByteArray> &argv, int slot, ReplyCallback callback)
{
    auto request = std::make_shared<Request>();
    request->argv = argv;
    request->slot = slot;
    request->callback = std::move(callback);
    request->startedMs = m_clock.elapsed();
    dispatch(request);
}

void RedisCluster::commandForKey(const QList<QByteArray> &argv, qsizetype keyIndex,
                                 ReplyCallback callback)
{
    if (keyIndex < 0 || keyIndex >= argv.size()) {
        QMetaObject::invokeMethod(
            this,
            [callback = std::move(callback)] {
                if (callback)
                    callback(RedisReply::error("ERR the command has no key to route it by"));
            },
            Qt::QueuedConnection);
        return;
    }
    command(argv, clusterKeySlot(argv[keyIndex]), std::move(callback));
}

void RedisCluster::onEveryPrimary(const QList<QByteArray> &argv, EveryReply done)
{
    auto request = std::make_shared<Request>();
    request->argv = argv;
    request->every = std::move(done);
    request->startedMs = m_clock.elapsed();
    dispatch(request);
}

bool RedisCluster::withinRetryWindow(const RequestPtr &request) const
{
    return m_clock.elapsed() - request->startedMs < m_options.retryWindowMs;
}

void RedisCluster::dispatch(const RequestPtr &request)
{
    if (!m_hasMap) {
        m_waiting.append(request);
        refreshSoon();
        return;
    }
    if (request->every) {
        struct Collected {
            QList<std::pair<Address, RedisReply>> replies;
            qsizetype expected = 0;
        };
        const QList<Address> primaries = m_map.primaries();
        auto collected = std::make_shared<Collected>();
        collected->expected = primaries.size();
        if (primaries.isEmpty()) {
            request->every({});
            return;
        }
        for (const Address &primary : primaries) {
            connectionTo(primary).command(request->argv, [request, collected, primary](const RedisReply &reply) {
                collected->replies.append({primary, reply});
                if (collected->replies.size() == collected->expected)
                    request->every(collected->replies);
            });
        }
        return;
    }
    const std::optional<Address> owner = m_map.primaryFor(request->slot);
    if (!owner) {
        m_waiting.append(request);
        refreshSoon();
        return;
    }
    sendTo(*owner, request, false);
}

void RedisCluster::sendTo(const Address &node, const RequestPtr &request, bool asking)
{
    RedisConnection &connection = connectionTo(node);
    if (asking)
        connection.command({QByteArrayLiteral("ASKING")});
    connection.command(request->argv,
                       [this, request](const RedisReply &reply) { onReply(request, reply); });
}

void RedisCluster::onReply(const RequestPtr &request, const RedisReply &reply)
{
    const std::optional<ClusterRedirect> redirect = ClusterRedirect::fromReply(reply);
    if (!redirect) {
        if (isConnectionFailure(reply))
            refreshSoon(); // a failover may be under way; the command itself is not resent
        finish(request, reply);
        return;
    }
    switch (redirect->kind) {
    case ClusterRedirect::Kind::Moved:
    case ClusterRedirect::Kind::Ask:
        if (++request->redirects > m_options.maxRedirects) {
            finish(request, RedisReply::error("CLUSTERDOWN more than " +
                                              QByteArray::number(m_options.maxRedirects) +
                                              " redirects; the last: " + reply.toByteArray()));
            return;
        }
        if (redirect->kind == ClusterRedirect::Kind::Moved) {
            ++m_moved;
            m_map.assign(redirect->slot, redirect->address);
            refreshSoon();
            dispatch(request);
        } else {
            ++m_asked;
            sendTo(redirect->address, request, true);
        }
        return;
    case ClusterRedirect::Kind::ClusterDown:
        refreshSoon();
        [[fallthrough]];
    case ClusterRedirect::Kind::TryAgain:
        if (!withinRetryWindow(request)) {
            finish(request, reply);
            return;
        }
        ++m_retried;
        ++request->retries;
        QTimer::singleShot(qMin(25 << qMin(request->retries, 5), 500), this,
                           [this, request] { dispatch(request); });
        return;
    }
}

void RedisCluster::finish(const RequestPtr &request, const RedisReply &reply)
{
    if (request->callback)
        request->callback(reply);
}

void RedisCluster::expireWaiting()
{
    QList<RequestPtr> still;
    QList<RequestPtr> expired;
    for (const RequestPtr &request : std::exchange(m_waiting, {}))
        (withinRetryWindow(request) ? still : expired).append(request);
    m_waiting = still;
    const QByteArray why =
        "CLUSTERDOWN " +
        (m_hasMap ? QByteArrayLiteral("no primary serves the slot")
                  : "no slot map: " + (m_refreshError.isEmpty() ? QByteArrayLiteral("no answer yet")
                                                                 : m_refreshError.toUtf8()));
    for (const RequestPtr &request : expired) {
        if (request->every)
            request->every({});
        else
            finish(request, RedisReply::error(why));
    }
}

void RedisCluster::flushWaiting()
{
    for (const RequestPtr &request : std::exchange(m_waiting, {}))
        dispatch(request);
}

RedisConnection &RedisCluster::connectionTo(const Address &node)
{
    const QString key = clusterNodeName(node);
    auto found = m_nodes.find(key);
    if (found != m_nodes.end())
        return *found->second;
    auto connection = std::make_unique<RedisConnection>(nodeUrl(node), m_options.connection);
    connect(connection.get(), &RedisConnection::stateChanged, this,
            [this](RedisConnection::State state) {
                if (state == RedisConnection::State::Down)
                    refreshSoon();
                updateState();
            });
    if (m_opened)
        connection->open();
    return *m_nodes.emplace(key, std::move(connection)).first->second;
}

QList<RedisCluster::Address> RedisCluster::candidates() const
{
    QList<Address> found;
    const auto add = [&found](const Address &node) {
        if (!found.contains(node))
            found.append(node);
    };
    if (m_hasMap) {
        for (const ClusterSlotMap::Shard &shard : m_map.shards()) {
            if (shard.primary)
                add(shard.primary->address);
        }
        for (const ClusterSlotMap::Shard &shard : m_map.shards()) {
            for (const ClusterSlotMap::Node &replica : shard.replicas)
                add(replica.address);
        }
    }
    for (const RedisUrl::HostPort &seed : m_seeds.seeds())
        add(seed);
    return found;
}

void RedisCluster::refreshSoon()
{
    if (!m_opened || m_soonTimer.isActive())
        return;
    // Spaced out while refreshes fail, so an unreachable cluster is not asked in a loop.
    m_soonTimer.start(qMin(100 << qMin(m_failedRefreshes, 4), 2000));
}

void RedisCluster::refresh()
{
    if (m_refreshing || !m_opened)
        return;
    m_refreshing = true;
    // Through a primary's connection that is up, when there is one: no new connection.
    for (const Address &primary : m_hasMap ? m_map.primaries() : QList<Address>()) {
        RedisConnection &connection = connectionTo(primary);
        if (connection.state() != RedisConnection::State::Up)
            continue;
        const QString from = clusterNodeName(primary);
        connection.command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("SHARDS")},
                           [this, from](const RedisReply &reply) {
                               if (isConnectionFailure(reply) || reply.isError()) {
                                   m_candidates = candidates();
                                   askNextCandidate();
                                   return;
                               }
                               mapAnswered(reply, from);
                           });
        return;
    }
    m_candidates = candidates();
    askNextCandidate();
}

void RedisCluster::retireAsker()
{
    m_askTimer.stop();
    ++m_askAttempt;
    if (m_asker)
        m_asker.release()->deleteLater(); // we may be inside one of its callbacks
}

void RedisCluster::askNextCandidate()
{
    retireAsker();
    if (m_candidates.isEmpty()) {
        refreshFailed();
        return;
    }
    const Address next = m_candidates.takeFirst();
    RedisConnection::Options options = m_options.connection;
    options.connectTimeoutMs = m_options.askTimeoutMs;
    options.maxQueued = 1;
    m_asker = std::make_unique<RedisConnection>(nodeUrl(next), options);
    const quint64 attempt = m_askAttempt;
    const QString from = clusterNodeName(next);
    m_asker->open();
    m_asker->command({QByteArrayLiteral("CLUSTER"), QByteArrayLiteral("SHARDS")},
                     [this, attempt, from](const RedisReply &reply) {
                         if (attempt != m_askAttempt)
                             return;
                         if (isConnectionFailure(reply)) {
                             m_refreshError = QStringLiteral("%1: %2").arg(
                                 from, QString::fromUtf8(reply.toByteArray().mid(11)));
                             QMetaObject::invokeMethod(this, &RedisCluster::askNextCandidate,
                                                       Qt::QueuedConnection);
                             return;
                         }
                         mapAnswered(reply, from);
                     });
    m_askTimer.start(m_options.askTimeoutMs);
}

void RedisCluster::mapAnswered(const RedisReply &reply, const QString &from)
{
    QString why;
    std::optional<ClusterSlotMap> map = ClusterSlotMap::fromShardsReply(reply, m_seeds.usesTls(), &why);
    if (!map) {
        if (reply.toByteArray().contains("cluster support disabled")) {
            why = QStringLiteral("%1 is not a Redis Cluster node (cluster support is disabled "
                                 "there)")
                      .arg(from);
        } else {
            why = QStringLiteral("%1: %2").arg(from, why);
        }
        m_refreshError = why;
        if (m_candidates.isEmpty()) {
            retireAsker();
            refreshFailed();
        } else {
            QMetaObject::invokeMethod(this, &RedisCluster::askNextCandidate, Qt::QueuedConnection);
        }
        return;
    }
    retireAsker();
    m_refreshing = false;
    m_failedRefreshes = 0;
    m_refreshError.clear();
    adoptMap(std::move(*map));
}

void RedisCluster::refreshFailed()
{
    m_refreshing = false;
    ++m_failedRefreshes;
    if (m_refreshError.isEmpty())
        m_refreshError = QStringLiteral("no node to ask for the slot map");
    qCDebug(lcCluster, "slot map: %ls", qUtf16Printable(m_refreshError));
    expireWaiting();
    refreshSoon();
    updateState();
}

void RedisCluster::adoptMap(ClusterSlotMap map)
{
    const bool changed = !m_hasMap || !(map == m_map);
    m_map = std::move(map);
    m_hasMap = true;
    bool allUp = m_map.uncoveredSlots() == 0;
    for (const Address &primary : m_map.primaries())
        allUp = connectionTo(primary).state() == RedisConnection::State::Up && allUp;
    closeUnusedConnections();
    if (changed) {
        qCInfo(lcCluster, "slot map: %d primaries, %d slots unserved",
               int(m_map.primaries().size()), m_map.uncoveredSlots());
    }
    flushWaiting();
    updateState();
    if (!allUp)
        refreshSoon();
    if (changed)
        Q_EMIT slotMapChanged();
}

void RedisCluster::closeUnusedConnections()
{
    const QList<Address> primaries = m_map.primaries();
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        RedisConnection &connection = *it->second;
        const bool serves = std::any_of(primaries.begin(), primaries.end(), [&](const Address &p) {
            return clusterNodeName(p) == it->first;
        });
        if (serves || connection.inFlightCount() > 0 || connection.queuedCount() > 0) {
            ++it;
            continue;
        }
        connection.disconnect(this);
        it->second.release()->deleteLater();
        it = m_nodes.erase(it);
    }
}

void RedisCluster::updateState()
{
    State next = State::Up;
    QString error;
    if (!m_hasMap) {
        next = m_refreshError.isEmpty() ? State::Connecting : State::Down;
        error = m_refreshError;
    } else if (const int unserved = m_map.uncoveredSlots(); unserved > 0) {
        next = State::Down;
        error = QStringLiteral("%1 of %2 slots have no primary").arg(unserved).arg(clusterSlotCount);
    } else {
        for (const Address &primary : m_map.primaries()) {
            const auto found = m_nodes.find(clusterNodeName(primary));
            if (found == m_nodes.end()) { // being made, in adoptMap()
                next = State::Connecting;
                break;
            }
            if (found->second->state() == RedisConnection::State::Up)
                continue;
            next = found->second->state() == RedisConnection::State::Connecting ? State::Connecting
                                                                                 : State::Down;
            error = QStringLiteral("primary %1: %2").arg(found->first, found->second->lastError());
            break;
        }
    }
    m_lastError = error;
    if (next == m_state)
        return;
    m_state = next;
    if (next == State::Up) {
        qCInfo(lcCluster, "cluster up: %d primaries", int(m_map.primaries().size()));
        m_loggedError.clear();
    } else if (next == State::Down && error != m_loggedError) {
        qCWarning(lcCluster, "cluster not serving every slot: %ls", qUtf16Printable(error));
        m_loggedError = error;
    }
    Q_EMIT stateChanged(next, error);
}

} // namespace presence
