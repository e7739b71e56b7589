// Connecting, reading the streams and the phases of a run (LoadGenerator.h).
#include "LoadGenerator.h"
#include "measure.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loadgen {

bool LoadGenerator::start(QString *error)
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

int LoadGenerator::clientIndex(int session) const
{
    const int k = m_config.clients > 0 ? m_config.clients : m_config.sessions;
    return session % k;
}

int LoadGenerator::roomOf(int session) const
{
    if (m_config.roomSize > 0)
        return session / m_config.roomSize;
    if (m_config.rooms > 0)
        return session % m_config.rooms;
    return 0;
}

void LoadGenerator::setUpRooms()
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

bool LoadGenerator::inProbeRoom(const Session &s) const
{
    return !usesRooms() || m_roomNames[size_t(s.room)] == m_config.probeRoom.toStdString();
}

void LoadGenerator::rosterUpdate(Session &s, std::string_view json, std::string_view client)
{
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

void LoadGenerator::checkComplete(Session &s)
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

void LoadGenerator::open(Session &s, const QByteArray &client, const std::string &room)
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

void LoadGenerator::fail(Session &s, const QString &why)
{
    if (s.state == Session::State::Streaming)
        ++m_droppedAfterEstablished;
    closeFd(s);
    s.state = Session::State::Failed;
    ++m_failed;
    m_failureReasons[why] += 1;
}

void LoadGenerator::closeFd(Session &s)
{
    if (s.fd >= 0) {
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, s.fd, nullptr);
        ::close(s.fd);
        s.fd = -1;
    }
    std::string().swap(s.buffer);
}

void LoadGenerator::drain()
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

void LoadGenerator::handle(Session &s, quint32 events)
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

void LoadGenerator::consume(Session &s, const char *data, size_t size)
{
    std::string_view in(data, size);
    if (s.state == Session::State::AwaitingHeaders) {
        s.buffer.append(data, size);
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
        // What came after the head is read from the chunk itself, below.
        in.remove_prefix(size - (s.buffer.size() - (end + 4)));
        s.buffer.clear();
        if (&s == m_probe.get()) {
            m_probeEstablishUs = monotonicUs() - s.connectStartUs;
        } else {
            ++m_established;
            m_establishUs.push_back(monotonicUs() - s.connectStartUs);
            m_lastEstablishedMono = monotonicUs();
            checkComplete(s); // a room of one is complete at once
        }
    }
    // Lines are read where recv() put them; only a line cut by the chunk's end is copied (into
    // s.buffer) to be finished by the next chunk. A storm is gigabytes: copying every chunk
    // first made this client, not the node, what a storm measured.
    if (!s.buffer.empty()) {
        const void *found = memchr(in.data(), '\n', in.size());
        if (!found) {
            s.buffer.append(in);
            return;
        }
        const size_t nl = size_t(static_cast<const char *>(found) - in.data());
        s.buffer.append(in.substr(0, nl));
        line(s, s.buffer);
        s.buffer.clear();
        in.remove_prefix(nl + 1);
    }
    for (;;) {
        const void *found = memchr(in.data(), '\n', in.size());
        if (!found)
            break;
        const size_t nl = size_t(static_cast<const char *>(found) - in.data());
        line(s, in.substr(0, nl));
        in.remove_prefix(nl + 1);
    }
    s.buffer.assign(in);
}

void LoadGenerator::line(Session &s, std::string_view text)
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
        // One search for the client serves the roster and the probe.
        const std::string_view client = jsonString(text, "\"client\":\"");
        if (&s != m_probe.get())
            rosterUpdate(s, text, client);
        if (!m_probeClient.empty() && client == m_probeClient
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

void LoadGenerator::tick()
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

qint64 LoadGenerator::countStreaming(bool probeRoomOnly) const
{
    qint64 n = 0;
    for (const Session &s : m_sessions)
        n += s.state == Session::State::Streaming && (!probeRoomOnly || inProbeRoom(s));
    return n;
}

void LoadGenerator::startHolding(qint64 now)
{
    m_phase = Phase::Holding;
    m_holdUntilMono = now + qint64(m_config.holdSeconds * 1e6);
}

} // namespace loadgen
