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
// --storm opens all sessions at once (a join storm) instead of at --ramp/s.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTimer>
#include <QUrl>
#include <QMap>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

qint64 realtimeUs()
{
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

qint64 monotonicUs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), -1 if unreadable.
qint64 statusKiB(qint64 pid, const char *field)
{
    if (pid <= 0)
        return -1;
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(field) && line.size() > qsizetype(std::strlen(field)) && line[qsizetype(std::strlen(field))] == ':')
            return line.mid(qsizetype(std::strlen(field)) + 1).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

qint64 rssKiB(qint64 pid) { return statusKiB(pid, "VmRSS"); }
qint64 hwmKiB(qint64 pid) { return statusKiB(pid, "VmHWM"); }

// Where `needle` starts in `text`, npos if absent. memmem: std::string_view::find stops at every
// '"' of a JSON line, and a 5,000 join storm is 25 million lines to scan.
size_t findIn(std::string_view text, std::string_view needle)
{
    const void *at = memmem(text.data(), text.size(), needle.data(), needle.size());
    return at ? size_t(static_cast<const char *>(at) - text.data()) : std::string_view::npos;
}

// The value of "key":"…" in a flat JSON object (ids and rooms never need escaping), empty if
// absent; `pattern` is the key written "\"key\":\"".
std::string_view jsonString(std::string_view json, std::string_view pattern)
{
    const size_t at = findIn(json, pattern);
    if (at == std::string_view::npos)
        return {};
    const size_t begin = at + pattern.size();
    const void *end = memchr(json.data() + begin, '"', json.size() - begin);
    return end ? json.substr(begin, size_t(static_cast<const char *>(end) - json.data()) - begin)
               : std::string_view();
}

qint64 percentile(std::vector<qint64> values, double p)
{
    if (values.empty())
        return -1;
    std::sort(values.begin(), values.end());
    auto rank = qsizetype(p / 100.0 * double(values.size()) + 0.999999) - 1;
    rank = std::clamp<qsizetype>(rank, 0, qsizetype(values.size()) - 1);
    return values[size_t(rank)];
}

QJsonObject stats(const std::vector<qint64> &values)
{
    return QJsonObject {{QStringLiteral("count"), qint64(values.size())},
                        {QStringLiteral("p50"), percentile(values, 50)},
                        {QStringLiteral("p99"), percentile(values, 99)},
                        {QStringLiteral("max"), percentile(values, 100)}};
}

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

    bool start(QString *error)
    {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (m_epoll < 0) {
            *error = QString::fromLocal8Bit(std::strerror(errno));
            return false;
        }
        m_notifier = std::make_unique<QSocketNotifier>(m_epoll, QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(), [this] { drain(); });
        m_sessions.resize(size_t(m_config.sessions));
        setUpRooms();
        m_rssBeforeKiB = rssKiB(m_config.serverPid);
        m_hwmBeforeKiB = hwmKiB(m_config.serverPid);
        m_startMono = monotonicUs();
        m_startReal = realtimeUs();
        m_tick.setInterval(5);
        QObject::connect(&m_tick, &QTimer::timeout, &m_tick, [this] { tick(); });
        m_tick.start();
        return true;
    }

private:
    enum class Phase { Connecting, Settling, Probing, Holding, Done };

    int clientIndex(int session) const
    {
        const int k = m_config.clients > 0 ? m_config.clients : m_config.sessions;
        return session % k;
    }

    QByteArray clientFor(int index) const { return m_config.prefix + QByteArray::number(clientIndex(index)); }

    bool usesRooms() const { return m_config.roomSize > 0 || m_config.rooms > 0; }

    int roomOf(int session) const
    {
        if (m_config.roomSize > 0)
            return session / m_config.roomSize;
        if (m_config.rooms > 0)
            return session % m_config.rooms;
        return 0;
    }

    // Every room's distinct clients (sorted), and every session's roster bookkeeping.
    void setUpRooms()
    {
        int count = 1;
        if (m_config.roomSize > 0)
            count = (m_config.sessions + m_config.roomSize - 1) / m_config.roomSize;
        else if (m_config.rooms > 0)
            count = std::min(m_config.rooms, m_config.sessions);
        m_roomClients.assign(size_t(count), {});
        m_roomNames.clear();
        for (int r = 0; r < count; ++r)
            m_roomNames.push_back(usesRooms() ? (m_config.roomPrefix + QByteArray::number(r)).toStdString() : std::string());
        for (int i = 0; i < m_config.sessions; ++i)
            m_roomClients[size_t(roomOf(i))].push_back(clientIndex(i));
        for (auto &clients : m_roomClients) {
            std::sort(clients.begin(), clients.end());
            clients.erase(std::unique(clients.begin(), clients.end()), clients.end());
        }
        for (int i = 0; i < m_config.sessions; ++i) {
            Session &s = m_sessions[size_t(i)];
            s.room = roomOf(i);
            const size_t members = m_roomClients[size_t(s.room)].size();
            s.rosterExpected = int(members) - 1; // every client but its own
            s.rosterBits.assign((members + 63) / 64, 0);
            m_rosterExpectedTotal += s.rosterExpected;
        }
        if (m_config.probeRoom.isEmpty() && usesRooms())
            m_config.probeRoom = QByteArray::fromStdString(m_roomNames[size_t(m_sessions.empty() ? 0 : m_sessions[0].room)]);
    }

    // The sessions the probe's ONLINE should reach: those of its room.
    bool inProbeRoom(const Session &s) const
    {
        return !usesRooms() || m_roomNames[size_t(s.room)] == m_config.probeRoom.toStdString();
    }

    void rosterUpdate(Session &s, std::string_view json)
    {
        const std::string_view client = jsonString(json, "\"client\":\"");
        const std::string_view prefix(m_config.prefix.constData(), size_t(m_config.prefix.size()));
        if (!client.starts_with(prefix) || client.size() == prefix.size())
            return; // not one of ours (the probe, another program's client)
        int index = 0;
        for (size_t i = prefix.size(); i < client.size(); ++i) {
            if (client[i] < '0' || client[i] > '9' || index > 100000000)
                return;
            index = index * 10 + (client[i] - '0');
        }
        const std::string_view room = jsonString(json, "\"room\":\"");
        if (!room.empty() && room != m_roomNames[size_t(s.room)]) {
            ++m_foreignEvents;
            return;
        }
        const auto &members = m_roomClients[size_t(s.room)];
        const auto it = std::lower_bound(members.begin(), members.end(), index);
        if (it == members.end() || *it != index) {
            ++m_foreignEvents; // a server that ignores ?room= sends everyone's presence
            return;
        }
        if (index == clientIndex(s.index))
            return; // its own client (only possible if another session shares it)
        const size_t pos = size_t(it - members.begin());
        const quint64 bit = quint64(1) << (pos % 64);
        quint64 &word = s.rosterBits[pos / 64];
        const bool online = jsonString(json, "\"status\":\"") == "ONLINE";
        if (online && !(word & bit)) {
            word |= bit;
            ++s.rosterOnline;
        } else if (!online && (word & bit)) {
            word &= ~bit;
            --s.rosterOnline;
        }
        checkComplete(s);
    }

    void checkComplete(Session &s)
    {
        if (s.completeMono != 0 || s.state != Session::State::Streaming || s.rosterOnline < s.rosterExpected)
            return;
        s.completeMono = monotonicUs();
        m_completeUs.push_back(s.completeMono - m_firstConnectMono);
        if (++m_complete == m_config.sessions) {
            m_allCompleteMono = s.completeMono;
            m_eventsAtComplete = m_events + 1; // this event is counted when its blank line arrives
            m_bytesAtComplete = m_bytes;
            m_hwmAtCompleteKiB = hwmKiB(m_config.serverPid);
            m_rssAtCompleteKiB = rssKiB(m_config.serverPid);
            std::fprintf(stderr, "loadgen: every session holds its full roster %.3f s after the first connect\n",
                         double(m_allCompleteMono - m_firstConnectMono) / 1e6);
        }
    }

    void open(Session &s, const QByteArray &client, const std::string &room = {})
    {
        if (m_firstConnectMono == 0)
            m_firstConnectMono = monotonicUs();
        s.connectStartUs = monotonicUs();
        s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s.fd < 0) {
            fail(s, QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
            return;
        }
        int one = 1;
#ifdef IP_BIND_ADDRESS_NO_PORT
        setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        setsockopt(s.fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
        sockaddr_in source {};
        source.sin_family = AF_INET;
        source.sin_addr.s_addr = htonl((127u << 24) | quint32(2 + s.index % 253));
        if (bind(s.fd, reinterpret_cast<sockaddr *>(&source), sizeof source) != 0) {
            fail(s, QStringLiteral("bind: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
            return;
        }
        sockaddr_in target {};
        target.sin_family = AF_INET;
        target.sin_port = htons(m_config.port);
        inet_pton(AF_INET, m_config.host.constData(), &target.sin_addr);
        if (::connect(s.fd, reinterpret_cast<sockaddr *>(&target), sizeof target) != 0 && errno != EINPROGRESS) {
            fail(s, QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
            return;
        }
        s.buffer = "GET /" + client.toStdString() + (room.empty() ? std::string() : "?room=" + room)
                   + " HTTP/1.1\r\nHost: " + m_config.host.toStdString() + ':'
                   + std::to_string(m_config.port) + "\r\nAccept: text/event-stream\r\n\r\n";
        epoll_event ev {};
        ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = &s;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, s.fd, &ev);
        ++m_opened;
    }

    void fail(Session &s, const QString &why)
    {
        if (s.state == Session::State::Streaming)
            ++m_droppedAfterEstablished;
        closeFd(s);
        s.state = Session::State::Failed;
        ++m_failed;
        m_failureReasons[why] += 1;
    }

    void closeFd(Session &s)
    {
        if (s.fd >= 0) {
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, s.fd, nullptr);
            ::close(s.fd);
            s.fd = -1;
        }
        std::string().swap(s.buffer);
    }

    void drain()
    {
        epoll_event events[256];
        for (;;) {
            const int n = epoll_wait(m_epoll, events, 256, 0);
            if (n <= 0)
                break;
            for (int i = 0; i < n; ++i)
                handle(*static_cast<Session *>(events[i].data.ptr), events[i].events);
            if (n < 256)
                break;
        }
    }

    void handle(Session &s, quint32 events)
    {
        if (s.fd < 0)
            return;
        if (s.state == Session::State::Connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                fail(s, QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(std::strerror(err))));
                return;
            }
            const ssize_t written = ::send(s.fd, s.buffer.data(), s.buffer.size(), MSG_NOSIGNAL);
            if (written != ssize_t(s.buffer.size())) {
                fail(s, QStringLiteral("send failed"));
                return;
            }
            s.buffer.clear();
            s.state = Session::State::AwaitingHeaders;
            epoll_event ev {};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.ptr = &s;
            epoll_ctl(m_epoll, EPOLL_CTL_MOD, s.fd, &ev);
        }
        if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            return;
        // At most one chunk per session per turn (epoll is level-triggered: the rest comes at
        // its next turn). Reading each to EAGAIN let the kernel's autotuned receive buffers
        // (up to tcp_rmem's max) make one round over 5,000 busy sessions longer than the
        // node's peer timeout: a session read early in the round sat with its window shut
        // until the node's stall rules ended it, a starvation of this one-thread client that
        // a real client (a process or a browser of its own) does not have.
        static char chunk[65536];
        for (;;) {
            const ssize_t got = ::recv(s.fd, chunk, sizeof chunk, 0);
            if (got > 0) {
                m_bytes += got;
                m_lastByteMono = monotonicUs();
                consume(s, chunk, size_t(got));
                return;
            }
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (got < 0 && errno == EINTR)
                continue;
            fail(s, got == 0 ? QStringLiteral("closed by server")
                             : QStringLiteral("recv: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
            return;
        }
    }

    void consume(Session &s, const char *data, size_t size)
    {
        s.buffer.append(data, size);
        if (s.state == Session::State::AwaitingHeaders) {
            const size_t end = s.buffer.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (s.buffer.size() > 8192)
                    fail(s, QStringLiteral("headers too long"));
                return;
            }
            const std::string statusLine = s.buffer.substr(0, s.buffer.find("\r\n"));
            if (statusLine.size() < 12 || statusLine.compare(9, 3, "200") != 0) {
                fail(s, QStringLiteral("HTTP %1").arg(QString::fromStdString(statusLine.substr(9, 3))));
                return;
            }
            s.state = Session::State::Streaming;
            s.buffer.erase(0, end + 4);
            if (&s == m_probe.get()) {
                m_probeEstablishUs = monotonicUs() - s.connectStartUs;
            } else {
                ++m_established;
                m_establishUs.push_back(monotonicUs() - s.connectStartUs);
                m_lastEstablishedMono = monotonicUs();
                checkComplete(s); // a room of one is complete at once
            }
        }
        size_t start = 0;
        for (;;) {
            const void *found = memchr(s.buffer.data() + start, '\n', s.buffer.size() - start);
            if (!found)
                break;
            const size_t nl = size_t(static_cast<const char *>(found) - s.buffer.data());
            line(s, std::string_view(s.buffer).substr(start, nl - start));
            start = nl + 1;
        }
        s.buffer.erase(0, start);
    }

    void line(Session &s, std::string_view text)
    {
        if (!text.empty() && text.back() == '\r')
            text.remove_suffix(1);
        if (text.empty()) {
            if (s.eventHasData) {
                ++m_events;
                if (s.eventIsProbe && s.probeArrivalUs == 0 && &s != m_probe.get()) {
                    s.probeArrivalUs = realtimeUs();
                    s.probeAtMs = s.pendingAtMs;
                    ++m_probeArrivals;
                }
            }
            s.eventHasData = false;
            s.eventIsProbe = false;
            return;
        }
        if (text.starts_with("data:")) {
            s.eventHasData = true;
            if (&s != m_probe.get())
                rosterUpdate(s, text);
            if (!m_probeNeedle.empty() && findIn(text, m_probeNeedle) != std::string_view::npos
                && findIn(text, "\"status\":\"ONLINE\"") != std::string_view::npos) {
                s.eventIsProbe = true;
                s.pendingAtMs = 0;
                const size_t at = text.find("\"at\":");
                for (size_t i = at == std::string_view::npos ? text.size() : at + 5;
                     i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
                    s.pendingAtMs = s.pendingAtMs * 10 + (text[i] - '0');
            }
        }
    }

    void tick()
    {
        const qint64 now = monotonicUs();
        if ((now - m_startMono) / 1000000 > m_config.maxSeconds) {
            m_timedOut = true;
            finish();
            return;
        }
        if (m_config.serverPid > 0 && m_phase != Phase::Done && now - m_lastRssSampleMono >= 100000) {
            m_lastRssSampleMono = now;
            m_rssPeakSampledKiB = std::max(m_rssPeakSampledKiB, rssKiB(m_config.serverPid));
        }
        switch (m_phase) {
        case Phase::Connecting: {
            const auto due = m_config.storm
                ? qint64(m_config.sessions)
                : std::min<qint64>(m_config.sessions, qint64(double(now - m_startMono) / 1e6 * m_config.ramp) + 1);
            while (m_nextIndex < due) {
                Session &s = m_sessions[size_t(m_nextIndex)];
                s.index = m_nextIndex;
                open(s, clientFor(m_nextIndex), m_roomNames[size_t(s.room)]);
                ++m_nextIndex;
            }
            if (m_nextIndex == m_config.sessions && m_established + m_failed >= m_config.sessions) {
                m_connectPhaseUs = now - m_startMono;
                m_phase = Phase::Settling;
                std::fprintf(stderr, "loadgen: %lld established, %lld failed in %.1f s; settling\n",
                             m_established, m_failed, double(m_connectPhaseUs) / 1e6);
            }
            break;
        }
        case Phase::Settling:
            if (now - std::max(m_lastByteMono, m_lastEstablishedMono) >= qint64(m_config.settleMs) * 1000) {
                m_settledUs = now - m_startMono;
                m_rssSettledKiB = rssKiB(m_config.serverPid);
                m_eventsAtSettle = m_events;
                m_bytesAtSettle = m_bytes;
                std::fprintf(stderr, "loadgen: settled after %.1f s, %lld events, %lld bytes\n",
                             double(m_settledUs) / 1e6, m_events, m_bytes);
                if (m_config.probeJoin && !m_config.probeClient.isEmpty()) {
                    m_phase = Phase::Probing;
                    m_probe = std::make_unique<Session>();
                    m_probe->index = m_config.sessions; // next source address
                    m_probeStartReal = realtimeUs();
                    m_probeStartMono = now;
                    open(*m_probe, m_config.probeClient, m_config.probeRoom.toStdString());
                } else {
                    startHolding(now);
                }
            }
            break;
        case Phase::Probing: {
            const qint64 streaming = countStreaming(true);
            if (m_probeArrivals >= streaming
                || now - m_probeStartMono > qint64(m_config.probeTimeoutMs) * 1000)
                startHolding(now);
            break;
        }
        case Phase::Holding:
            if (now >= m_holdUntilMono)
                finish();
            break;
        case Phase::Done:
            break;
        }
    }

    qint64 countStreaming(bool probeRoomOnly = false) const
    {
        qint64 n = 0;
        for (const Session &s : m_sessions)
            n += s.state == Session::State::Streaming && (!probeRoomOnly || inProbeRoom(s));
        return n;
    }

    void startHolding(qint64 now)
    {
        m_phase = Phase::Holding;
        m_holdUntilMono = now + qint64(m_config.holdSeconds * 1e6);
    }

    void finish()
    {
        m_phase = Phase::Done;
        m_tick.stop();
        const qint64 rssEnd = rssKiB(m_config.serverPid);
        const qint64 hwmEnd = hwmKiB(m_config.serverPid);
        const qint64 streamingAtEnd = countStreaming();
        const qint64 probeExpected = countStreaming(true);
        std::vector<qint64> probeLatency;
        std::vector<qint64> probeFromAt;
        QJsonArray dump;
        if (!m_config.probeClient.isEmpty()) {
            for (const Session &s : m_sessions) {
                if (s.probeArrivalUs == 0)
                    continue;
                if (m_probeStartReal > 0)
                    probeLatency.push_back(s.probeArrivalUs - m_probeStartReal);
                if (s.probeAtMs > 0)
                    probeFromAt.push_back(s.probeArrivalUs - s.probeAtMs * 1000);
                if (!m_config.probeDump.isEmpty())
                    dump.append(s.probeArrivalUs);
            }
        }
        for (Session &s : m_sessions)
            closeFd(s);
        if (m_probe)
            closeFd(*m_probe);

        QJsonObject failures;
        for (auto it = m_failureReasons.cbegin(); it != m_failureReasons.cend(); ++it)
            failures.insert(it.key(), it.value());
        QJsonObject out {
            {QStringLiteral("url"), QStringLiteral("http://%1:%2").arg(QString::fromLatin1(m_config.host)).arg(m_config.port)},
            {QStringLiteral("sessions"), m_config.sessions},
            {QStringLiteral("clients"), m_config.clients > 0 ? m_config.clients : m_config.sessions},
            {QStringLiteral("ramp"), m_config.ramp},
            {QStringLiteral("established"), m_established},
            {QStringLiteral("failed"), m_failed},
            {QStringLiteral("droppedAfterEstablished"), m_droppedAfterEstablished},
            {QStringLiteral("streamingAtEnd"), streamingAtEnd},
            {QStringLiteral("failures"), failures},
            {QStringLiteral("connectPhaseMs"), double(m_connectPhaseUs) / 1000.0},
            {QStringLiteral("settledMs"), double(m_settledUs) / 1000.0},
            {QStringLiteral("establishUs"), stats(m_establishUs)},
            {QStringLiteral("eventsAtSettle"), m_eventsAtSettle},
            {QStringLiteral("bytesAtSettle"), m_bytesAtSettle},
            {QStringLiteral("events"), m_events},
            {QStringLiteral("bytes"), m_bytes},
            {QStringLiteral("timedOut"), m_timedOut},
            {QStringLiteral("startRealtimeUs"), m_startReal},
        };
        if (m_config.serverPid > 0) {
            out.insert(QStringLiteral("serverRss"),
                       QJsonObject {{QStringLiteral("beforeKiB"), m_rssBeforeKiB},
                                    {QStringLiteral("settledKiB"), m_rssSettledKiB},
                                    {QStringLiteral("endKiB"), rssEnd},
                                    {QStringLiteral("atCompleteKiB"), m_rssAtCompleteKiB},
                                    {QStringLiteral("peakSampledKiB"), m_rssPeakSampledKiB}});
            // VmHWM: the node's peak RSS since it started (a fresh node per storm makes it the storm's).
            out.insert(QStringLiteral("serverHwm"),
                       QJsonObject {{QStringLiteral("beforeKiB"), m_hwmBeforeKiB},
                                    {QStringLiteral("atCompleteKiB"), m_hwmAtCompleteKiB},
                                    {QStringLiteral("endKiB"), hwmEnd}});
        }
        QJsonObject rooms {{QStringLiteral("mode"), m_config.roomSize > 0 ? QStringLiteral("size")
                                                     : m_config.rooms > 0  ? QStringLiteral("count")
                                                                           : QStringLiteral("default")},
                           {QStringLiteral("count"), qint64(m_roomNames.size())},
                           {QStringLiteral("prefix"), QString::fromUtf8(m_config.roomPrefix)}};
        if (m_config.roomSize > 0)
            rooms.insert(QStringLiteral("roomSize"), m_config.roomSize);
        if (m_config.rooms > 0)
            rooms.insert(QStringLiteral("rooms"), m_config.rooms);
        out.insert(QStringLiteral("rooms"), rooms);
        out.insert(QStringLiteral("storm"), m_config.storm);
        const auto sinceFirst = [this](qint64 mono) { return mono > 0 ? double(mono - m_firstConnectMono) / 1000.0 : -1.0; };
        out.insert(QStringLiteral("roster"),
                   QJsonObject {{QStringLiteral("complete"), m_complete},
                                {QStringLiteral("expectedEntries"), m_rosterExpectedTotal},
                                {QStringLiteral("allCompleteMs"), sinceFirst(m_allCompleteMono)},
                                {QStringLiteral("completeUs"), stats(m_completeUs)},
                                {QStringLiteral("eventsAtComplete"), m_allCompleteMono > 0 ? m_eventsAtComplete : -1},
                                {QStringLiteral("bytesAtComplete"), m_allCompleteMono > 0 ? m_bytesAtComplete : -1},
                                {QStringLiteral("foreignEvents"), m_foreignEvents}});
        if (!m_config.probeClient.isEmpty()) {
            QJsonObject probe {{QStringLiteral("client"), QString::fromUtf8(m_config.probeClient)},
                               {QStringLiteral("arrivals"), m_probeArrivals},
                               {QStringLiteral("expected"), probeExpected}};
            if (!m_config.probeRoom.isEmpty())
                probe.insert(QStringLiteral("room"), QString::fromUtf8(m_config.probeRoom));
            if (m_probeStartReal > 0) {
                probe.insert(QStringLiteral("joinRealtimeUs"), m_probeStartReal);
                probe.insert(QStringLiteral("establishUs"), m_probeEstablishUs);
                probe.insert(QStringLiteral("latencyUs"), stats(probeLatency));
            }
            if (!probeFromAt.empty()) {
                // From the transition's "at" (node clock, ms resolution) to arrival: the fan-out
                // alone, without the time the node took to accept the joiner.
                probe.insert(QStringLiteral("fromEventAtUs"), stats(probeFromAt));
            }
            out.insert(QStringLiteral("probe"), probe);
            if (!m_config.probeDump.isEmpty()) {
                QFile file(m_config.probeDump);
                if (file.open(QIODevice::WriteOnly))
                    file.write(QJsonDocument(dump).toJson(QJsonDocument::Compact));
            }
        }
        std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
        std::fflush(stdout);
        QCoreApplication::exit(m_timedOut ? 2 : 0);
    }

    Config m_config;
    int m_epoll = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    QTimer m_tick;
    std::vector<Session> m_sessions;
    std::unique_ptr<Session> m_probe;
    std::string m_probeNeedle = m_config.probeClient.isEmpty()
        ? std::string()
        : "\"client\":\"" + m_config.probeClient.toStdString() + '"';
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

} // namespace

int main(int argc, char **argv)
{
    // As many descriptors as we are allowed: the hard limit.
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    auto option = [](const char *name, const char *help, const char *value, const char *def = nullptr) {
        return def ? QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(value),
                                        QString::fromLatin1(def))
                   : QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(value));
    };
    const auto url = option("url", "Node base URL (IPv4 loopback).", "URL", "http://127.0.0.1:8080");
    const auto sessions = option("sessions", "SSE sessions to open.", "N", "100");
    const auto clients = option("clients", "Distinct client ids (session i is prefix{i % K}); 0: one per session.", "K", "0");
    const auto prefix = option("prefix", "Client id prefix.", "PREFIX", "lg-");
    const auto ramp = option("ramp", "Sessions opened per second.", "N", "2000");
    const auto hold = option("hold-seconds", "Keep the sessions open this long after settling (and probing).", "S", "0");
    const auto settle = option("settle-ms", "Settled once no byte arrived for this long.", "MS", "1000");
    const auto probeClient = option("probe-client", "Record when each session gets this client's ONLINE event.", "ID");
    const QCommandLineOption probeJoin(QStringLiteral("probe-join"),
                                       QStringLiteral("After settling, connect as --probe-client ourselves and time the fan-out."));
    const auto probeTimeout = option("probe-timeout-ms", "Give up waiting for the probe's fan-out.", "MS", "10000");
    const auto probeDump = option("probe-dump", "Write every probe arrival time (realtime us) here as JSON.", "FILE");
    const auto serverPid = option("server-pid", "Sample this process's VmRSS before/after.", "PID", "0");
    const auto maxSeconds = option("max-seconds", "Stop whatever happens after this long.", "S", "600");
    const auto roomSize = option("room-size", "Rooms of S sessions: session i is in room {room-prefix}{i / S}.", "S", "0");
    const auto rooms = option("rooms", "K rooms: session i is in room {room-prefix}{i % K}.", "K", "0");
    const auto roomPrefix = option("room-prefix", "Room name prefix.", "PREFIX", "r");
    const auto probeRoom = option("probe-room", "The room the probe joins (default: session 0's room).", "ROOM");
    const QCommandLineOption storm(QStringLiteral("storm"),
                                   QStringLiteral("Join storm: open every session at once (ignores --ramp)."));
    parser.addOptions({url, sessions, clients, prefix, ramp, hold, settle, probeClient, probeJoin, probeTimeout,
                       probeDump, serverPid, maxSeconds, roomSize, rooms, roomPrefix, probeRoom, storm});
    parser.process(app);

    LoadGenerator::Config config;
    const QUrl base(parser.value(url));
    config.host = base.host().toLatin1();
    config.port = quint16(base.port(80));
    config.sessions = parser.value(sessions).toInt();
    config.clients = parser.value(clients).toInt();
    config.prefix = parser.value(prefix).toUtf8();
    config.ramp = parser.value(ramp).toDouble();
    config.holdSeconds = parser.value(hold).toDouble();
    config.settleMs = parser.value(settle).toInt();
    config.probeClient = parser.value(probeClient).toUtf8();
    config.probeJoin = parser.isSet(probeJoin);
    config.probeTimeoutMs = parser.value(probeTimeout).toInt();
    config.probeDump = parser.value(probeDump);
    config.serverPid = parser.value(serverPid).toLongLong();
    config.maxSeconds = parser.value(maxSeconds).toInt();
    config.roomSize = parser.value(roomSize).toInt();
    config.rooms = parser.value(rooms).toInt();
    config.roomPrefix = parser.value(roomPrefix).toUtf8();
    config.probeRoom = parser.value(probeRoom).toUtf8();
    config.storm = parser.isSet(storm);
    if (config.sessions <= 0 || config.ramp <= 0 || base.scheme() != QStringLiteral("http")) {
        std::fprintf(stderr, "bench_loadgen: need --sessions > 0, --ramp > 0 and an http:// URL\n");
        return 1;
    }
    if (config.roomSize < 0 || config.rooms < 0 || (config.roomSize > 0 && config.rooms > 0)) {
        std::fprintf(stderr, "bench_loadgen: --room-size and --rooms are exclusive and must be > 0\n");
        return 1;
    }
    in_addr probe {};
    if (inet_pton(AF_INET, config.host.constData(), &probe) != 1 || (ntohl(probe.s_addr) >> 24) != 127) {
        std::fprintf(stderr, "bench_loadgen: only IPv4 loopback targets (127.x.y.z)\n");
        return 1;
    }

    LoadGenerator generator(config);
    QString error;
    if (!generator.start(&error)) {
        std::fprintf(stderr, "bench_loadgen: %s\n", qPrintable(error));
        return 1;
    }
    return app.exec();
}
