// bench_loadgen: opens many SSE sessions to one presence node from one thread and reports JSON.
//
//   bench_loadgen --url http://127.0.0.1:PORT --sessions N [--prefix lg-] [--clients K]
//                 [--ramp SESSIONS_PER_S] [--hold-seconds S] [--settle-ms MS]
//                 [--probe-client ID [--probe-join] [--probe-timeout-ms MS] [--probe-dump FILE]]
//                 [--server-pid PID] [--room-size S | --rooms K] [--room-prefix r] [--storm]
//
// Session i asks for GET /{prefix}{i % K} (K = --clients, default N: every session its own
// client). Rooms (issue 5): with --room-size S session i is in room {room-prefix}{i / S}, with
// --rooms K in room {room-prefix}{i % K}, and asks for GET /{client}?room={room}; without either,
// no room parameter (the default room, the one global roster). Sources are spread over 127.0.0.2 … 127.0.0.254 (bind() before connect(), with
// IP_BIND_ADDRESS_NO_PORT) so one process gets past the ~28k ephemeral ports of one address.
//
// Event-driven: raw non-blocking sockets registered in one epoll set, and one QSocketNotifier on
// that set; a wakeup costs O(ready sockets), not O(all sockets) as a notifier per socket would
// with Qt's poll()-based dispatcher.
//
// Phases: connect (at --ramp/s) → every session established or failed → settle (no byte for
// --settle-ms) → with --probe-join, open one more session as --probe-client and wait until every
// established session got that client's ONLINE event (arrival times CLOCK_REALTIME, relative to
// the probe's connect() call) → hold --hold-seconds → close everything, print JSON on stdout.
// With --server-pid, the server's VmRSS is sampled before the first connect, after settling,
// and at the end of the hold, and its VmHWM (peak RSS since it started) too.
//
// Rosters: every session tracks which other clients of its room it holds ONLINE (snapshot and
// live events alike); "roster.allCompleteMs" is the time from the first connect() until every
// session held its full roster (every other client of its room ONLINE). Events about clients
// outside the session's room (a server that ignores ?room=) count as "foreignEvents".
#pragma once

#include <QByteArray>
#include <QMap>
#include <QSocketNotifier>
#include <QString>
#include <QTimer>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

struct Session {
    enum class State { Connecting, AwaitingHeaders, Streaming, Failed, Closed };
    int fd = -1;
    int index = 0;
    State state = State::Connecting;
    qint64 connectStartUs = 0; // monotonic
    std::string buffer;        // headers, then the unfinished line
    bool eventHasData = false;
    bool eventIsProbe = false;
    qint64 probeArrivalUs = 0; // realtime; 0 = not yet
    qint64 probeAtMs = 0;      // the event's "at" (the node's realtime clock, ms)
    qint64 pendingAtMs = 0;
    int room = 0;                  // index into the load generator's rooms
    int rosterExpected = 0;        // other distinct clients of the room
    int rosterOnline = 0;          // of those, how many this session holds ONLINE
    std::vector<quint64> rosterBits; // by position in the room's sorted client list
    qint64 completeMono = 0;       // when rosterOnline first reached rosterExpected
};

class LoadGenerator {
public:
    struct Config {
        QByteArray host = "127.0.0.1";
        quint16 port = 8080;
        int sessions = 100;
        int clients = 0; // 0: one per session
        QByteArray prefix = "lg-";
        double ramp = 2000;
        double holdSeconds = 0;
        int settleMs = 1000;
        QByteArray probeClient;
        bool probeJoin = false;
        int probeTimeoutMs = 10000;
        QString probeDump;
        qint64 serverPid = 0;
        int maxSeconds = 600;
        int roomSize = 0;      // session i in room i / roomSize
        int rooms = 0;         // session i in room i % rooms
        QByteArray roomPrefix = "r";
        QByteArray probeRoom;  // default: the room of session 0
        bool storm = false;    // open every session at once
    };

    explicit LoadGenerator(Config config) : m_config(std::move(config)) {}

    bool start(QString *error);

private:
    enum class Phase { Connecting, Settling, Probing, Holding, Done };

    int clientIndex(int session) const;

    QByteArray clientFor(int index) const { return m_config.prefix + QByteArray::number(clientIndex(index)); }

    bool usesRooms() const { return m_config.roomSize > 0 || m_config.rooms > 0; }

    int roomOf(int session) const;

    // Every room's distinct clients (sorted), and every session's roster bookkeeping.
    void setUpRooms();

    // The sessions the probe's ONLINE should reach: those of its room.
    bool inProbeRoom(const Session &s) const;

    // `client`: the event's "client" (found once per line, by line()).
    void rosterUpdate(Session &s, std::string_view json, std::string_view client);

    void checkComplete(Session &s);

    void open(Session &s, const QByteArray &client, const std::string &room = {});

    void fail(Session &s, const QString &why);

    void closeFd(Session &s);

    void drain();

    void handle(Session &s, quint32 events);

    void consume(Session &s, const char *data, size_t size);

    void line(Session &s, std::string_view text);

    void tick();

    qint64 countStreaming(bool probeRoomOnly = false) const;

    void startHolding(qint64 now);

    void finish();

    Config m_config;
    int m_epoll = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QTimer m_tick;
    std::vector<Session> m_sessions;
    std::unique_ptr<Session> m_probe;
    std::string m_probeClient = m_config.probeClient.toStdString();
    Phase m_phase = Phase::Connecting;
    int m_nextIndex = 0;
    qint64 m_opened = 0, m_established = 0, m_failed = 0, m_droppedAfterEstablished = 0;
    qint64 m_events = 0, m_bytes = 0, m_eventsAtSettle = 0, m_bytesAtSettle = 0;
    qint64 m_probeArrivals = 0;
    qint64 m_startMono = 0, m_startReal = 0, m_lastByteMono = 0, m_lastEstablishedMono = 0;
    qint64 m_connectPhaseUs = 0, m_settledUs = 0, m_holdUntilMono = 0;
    qint64 m_probeStartReal = 0, m_probeStartMono = 0, m_probeEstablishUs = -1;
    qint64 m_rssBeforeKiB = -1, m_rssSettledKiB = -1;
    qint64 m_hwmBeforeKiB = -1, m_hwmAtCompleteKiB = -1, m_rssAtCompleteKiB = -1, m_rssPeakSampledKiB = -1;
    qint64 m_lastRssSampleMono = 0;
    std::vector<std::vector<int>> m_roomClients; // by room: its distinct client indices, sorted
    std::vector<std::string> m_roomNames;        // by room: the ?room= value ("" = default room)
    qint64 m_rosterExpectedTotal = 0, m_complete = 0, m_foreignEvents = 0;
    qint64 m_firstConnectMono = 0, m_allCompleteMono = 0, m_eventsAtComplete = 0, m_bytesAtComplete = 0;
    std::vector<qint64> m_completeUs;
    bool m_timedOut = false;
    std::vector<qint64> m_establishUs;
    QMap<QString, qint64> m_failureReasons;
};

} // namespace loadgen
