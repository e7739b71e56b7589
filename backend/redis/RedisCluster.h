#pragma once

#include "redis/ClusterSlotMap.h"
#include "redis/RedisConnection.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <map>
#include <memory>

namespace presence {

// A Redis Cluster client on the Qt event loop: the slot map from CLUSTER SHARDS (asked of the
// seeds in turn, then of any node it knows), one RedisConnection per primary, and every
// command sent to the primary that serves its slot.
//
// Redirects are followed: MOVED (that slot is updated at once and the whole map asked for
// again), ASK (ASKING and the command to the importing node, once), TRYAGAIN and CLUSTERDOWN
// (sent again after a backoff, for up to retryWindowMs). Redis executed none of those, so
// following them is safe. A command whose connection dropped is NOT sent again (Redis may have
// executed it): it fails with the connection's "CONNECTION …" error, as on one Redis, and the
// map is asked for again (a failover may be under way). A command for a slot no primary serves
// waits for a map that has one, up to retryWindowMs.
//
// The map is also asked for every refreshIntervalMs, and every few hundred milliseconds while
// a primary is unreachable, so a failover (a replica promoted) or a slot migration is followed
// even by a client that meets no redirect. Connections to nodes that no longer serve a slot are
// closed once nothing waits on them.
//
// Up: a map covering every slot, and every primary's connection Up.
// Replies come back in issue order per slot (one connection), not across slots.
// Single-threaded: use it from the thread that owns it.
class RedisCluster final : public QObject {
    Q_OBJECT
public:
    using Address = ClusterSlotMap::Address;
    using ReplyCallback = RedisConnection::ReplyCallback;
    using EveryReply = std::function<void(const QList<std::pair<Address, RedisReply>> &replies)>;
    enum class State { Connecting, Up, Down };
    Q_ENUM(State)

    struct Options {
        RedisConnection::Options connection;
        int maxRedirects = 16;
        int retryWindowMs = 5000;     // TRYAGAIN, CLUSTERDOWN, an unserved slot: retried this long
        int refreshIntervalMs = 5000; // the map asked for again this often
        int askTimeoutMs = 1000;      // one node's CLUSTER SHARDS answer
    };

    // `seeds`: redis:// or rediss:// with one host or several (RedisUrl::seeds()); database 0.
    explicit RedisCluster(RedisUrl seeds, QObject *parent = nullptr);
    RedisCluster(RedisUrl seeds, Options options, QObject *parent = nullptr);
    ~RedisCluster() override;

    void open();

    // `slot` decides the primary; every key of the command must hash to it.
    void command(const QList<QByteArray> &argv, int slot, ReplyCallback callback = {});
    // The slot of argv[keyIndex] decides.
    void commandForKey(const QList<QByteArray> &argv, qsizetype keyIndex,
                       ReplyCallback callback = {});
    // The same command on every primary of the current map (FUNCTION LOAD, CONFIG SET, …);
    // `done` gets each one's reply (an error reply for one that could not be asked). Waits for
    // a map first, like command().
    void onEveryPrimary(const QList<QByteArray> &argv, EveryReply done);

    // Asks for the slot map again soon (coalesced): a user of the map met a stale answer.
    void requestRefresh() { refreshSoon(); }

    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    bool hasSlotMap() const { return m_hasMap; }
    const ClusterSlotMap &slotMap() const { return m_map; }
    // The connection URL of one node: the seeds' credentials and TLS, that host and port.
    RedisUrl nodeUrl(const Address &node) const;
    // Redirects followed so far (MOVED, ASK) and retries after TRYAGAIN / CLUSTERDOWN.
    quint64 movedCount() const { return m_moved; }
    quint64 askCount() const { return m_asked; }
    quint64 retryCount() const { return m_retried; }

Q_SIGNALS:
    void stateChanged(presence::RedisCluster::State state, const QString &error);
    // A new map differs from the last one (primaries, slots, replicas or health).
    void slotMapChanged();

private:
    struct Request;
    using RequestPtr = std::shared_ptr<Request>;

    void dispatch(const RequestPtr &request);
    void sendTo(const Address &node, const RequestPtr &request, bool asking);
    void onReply(const RequestPtr &request, const RedisReply &reply);
    void retryLater(const RequestPtr &request);
    void finish(const RequestPtr &request, const RedisReply &reply);
    bool withinRetryWindow(const RequestPtr &request) const;

    RedisConnection &connectionTo(const Address &node);
    void refresh();
    void refreshSoon();
    void askNextCandidate();
    void retireAsker();
    void mapAnswered(const RedisReply &reply, const QString &from);
    void refreshFailed();
    void expireWaiting();
    void adoptMap(ClusterSlotMap map);
    void closeUnusedConnections();
    void flushWaiting();
    void updateState();
    QList<Address> candidates() const;

    RedisUrl m_seeds;
    Options m_options;
    bool m_opened = false;
    State m_state = State::Down;
    QString m_lastError;
    QString m_refreshError;
    QString m_loggedError; // the last "not serving" warning, so a flapping retry logs it once

    ClusterSlotMap m_map;
    bool m_hasMap = false;
    std::map<QString, std::unique_ptr<RedisConnection>> m_nodes; // "host:port" → connection
    QList<RequestPtr> m_waiting; // for a map, or for a primary of their slot

    bool m_refreshing = false;
    QList<Address> m_candidates; // nodes still to ask in this refresh
    std::unique_ptr<RedisConnection> m_asker;
    quint64 m_askAttempt = 0;
    QTimer m_askTimer;
    QTimer m_refreshTimer; // periodic
    QTimer m_soonTimer;    // a refresh wanted soon (a redirect, a node unreachable)
    int m_failedRefreshes = 0;
    QElapsedTimer m_clock;

    quint64 m_moved = 0;
    quint64 m_asked = 0;
    quint64 m_retried = 0;
};

} // namespace presence
