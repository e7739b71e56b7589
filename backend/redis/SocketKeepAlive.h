#pragma once

namespace presence {

// TCP keepalive on a socket: a peer that vanished without a FIN or RST (a dead host, a cut
// network) is dropped by the kernel after idleS + intervalS·probes seconds of silence, rather
// than after Linux's default of two hours before the first probe.
struct SocketKeepAlive {
    int idleS = 10;
    int intervalS = 5;
    int probes = 3;
};

// Returns false (and leaves the socket as it was, as far as it got) when a setsockopt failed.
bool enableKeepAlive(int fd, const SocketKeepAlive &settings);

} // namespace presence
