// bench_fanout_floor: the send floor of a fan-out, measured by the same load generator as our
// node. A minimal epoll server, one thread, no Qt: it accepts the same sessions (GET
// /{client}[?room=R], answered with our SSE response head), and when a client it has not seen in
// a room connects, it writes one event shaped like ours (id: + data: JSON with client, status,
// reason, at, node, id, room) to every other session of that room - one formatted buffer, one
// send() per socket, the rest queued for EPOLLOUT. No roster, no Redis, no timers: what is left
// of a fan-out when everything but the kernel's work is taken away.
//
//   bench_fanout_floor [--host 127.0.0.1] [--port 0]     prints "listening on http://HOST:PORT"
#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

struct Session {
    int fd = -1;
    bool streaming = false;
    std::string in;      // the request, until its blank line
    std::string pending; // what the kernel did not take yet
    std::string room;
    size_t slot = 0; // index in its room's list
};

struct Room {
    std::vector<Session *> sessions;
    std::unordered_set<std::string> clients;
};

volatile std::sig_atomic_t stopping = 0;

long long realtimeMs()
{
    timespec t{};
    clock_gettime(CLOCK_REALTIME, &t);
    return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

class Floor {
public:
    explicit Floor(int epoll) : m_epoll(epoll) { m_node = "floor:" + std::to_string(getpid()); }

    void accept(int listener)
    {
        for (;;) {
            const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0)
                return;
            auto *s = new Session;
            s->fd = fd;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = s;
            epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
        }
    }

    void readable(Session *s)
    {
        char buffer[4096];
        for (;;) {
            const ssize_t n = read(s->fd, buffer, sizeof buffer);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close(s);
                return;
            }
            if (n < 0)
                break;
            if (!s->streaming)
                s->in.append(buffer, size_t(n));
        }
        if (!s->streaming && s->in.find("\r\n\r\n") != std::string::npos)
            start(s);
    }

    void writable(Session *s)
    {
        flush(s);
        if (s->pending.empty())
            watch(s, EPOLLIN);
    }

private:
    void start(Session *s)
    {
        // "GET /client?room=R HTTP/1.1"
        const size_t pathStart = s->in.find('/');
        const size_t pathEnd = s->in.find(' ', pathStart);
        if (s->in.compare(0, 4, "GET ") != 0 || pathStart == std::string::npos || pathEnd == std::string::npos) {
            close(s);
            return;
        }
        std::string path = s->in.substr(pathStart + 1, pathEnd - pathStart - 1);
        std::string room;
        if (const size_t q = path.find("?room="); q != std::string::npos) {
            room = path.substr(q + 6);
            path.resize(q);
        }
        s->in.clear();
        s->in.shrink_to_fit();
        s->streaming = true;
        s->room = room;
        send(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
                "Connection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\nretry: 1500\n\n");
        Room &r = m_rooms[room];
        s->slot = r.sessions.size();
        r.sessions.push_back(s);
        if (r.clients.insert(path).second)
            broadcast(r, s, path);
    }

    void broadcast(Room &r, Session *from, const std::string &client)
    {
        const long long at = realtimeMs();
        const std::string id = std::to_string(at) + "-" + std::to_string(m_sequence++);
        std::string json = "{\"at\":" + std::to_string(at) + ",\"client\":\"" + client + "\",\"id\":\"" + id
                           + "\",\"node\":\"" + m_node + "\",\"reason\":\"connected\"";
        if (!from->room.empty())
            json += ",\"room\":\"" + from->room + "\"";
        json += ",\"status\":\"ONLINE\"}";
        const std::string event = "id: " + id + "\ndata: " + json + "\n\n";
        for (Session *to : r.sessions) {
            if (to != from)
                send(to, event);
        }
    }

    void send(Session *s, const std::string &bytes)
    {
        if (!s->pending.empty()) {
            s->pending += bytes;
            return;
        }
        const ssize_t n = ::send(s->fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == ssize_t(bytes.size()))
            return;
        s->pending.assign(bytes, n > 0 ? size_t(n) : 0, std::string::npos);
        watch(s, EPOLLIN | EPOLLOUT);
    }

    void flush(Session *s)
    {
        while (!s->pending.empty()) {
            const ssize_t n = ::send(s->fd, s->pending.data(), s->pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n <= 0)
                return;
            s->pending.erase(0, size_t(n));
        }
    }

    void watch(Session *s, unsigned events)
    {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = s;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, s->fd, &ev);
    }

    void close(Session *s)
    {
        if (s->streaming) {
            std::vector<Session *> &list = m_rooms[s->room].sessions;
            list[s->slot] = list.back();
            list[s->slot]->slot = s->slot;
            list.pop_back();
        }
        ::close(s->fd);
        delete s;
    }

    int m_epoll;
    std::string m_node;
    unsigned long long m_sequence = 0;
    std::unordered_map<std::string, Room> m_rooms;
};

} // namespace

int main(int argc, char **argv)
{
    std::string host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--host") == 0)
            host = argv[i + 1];
        else if (std::strcmp(argv[i], "--port") == 0)
            port = std::atoi(argv[i + 1]);
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::signal(SIGTERM, [](int) { stopping = 1; });
    std::signal(SIGINT, [](int) { stopping = 1; });
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1
        || bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || listen(listener, 4096) != 0) {
        std::fprintf(stderr, "bench_fanout_floor: cannot listen on %s:%d: %s\n", host.c_str(), port,
                     std::strerror(errno));
        return 1;
    }
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length);
    std::fprintf(stderr, "listening on http://%s:%d\n", host.c_str(), ntohs(address.sin_port));
    std::fflush(stderr);

    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the listener
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
    Floor floor(epoll);
    std::vector<epoll_event> events(1024);
    while (!stopping) {
        const int n = epoll_wait(epoll, events.data(), int(events.size()), 500);
        for (int i = 0; i < n; ++i) {
            auto *s = static_cast<Session *>(events[size_t(i)].data.ptr);
            if (!s) {
                floor.accept(listener);
                continue;
            }
            // A session closed earlier in this batch cannot be here: only readable() closes,
            // and each descriptor is reported once per epoll_wait.
            if (events[size_t(i)].events & EPOLLOUT)
                floor.writable(s);
            if (events[size_t(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                floor.readable(s);
        }
    }
    return 0;
}
