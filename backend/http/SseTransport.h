#pragma once

#include <QByteArrayView>
#include <QtGlobal>
#include <optional>

namespace presence {

// Where an SSE session's bytes go: the connection under one open stream. Two kinds —
// DescriptorTransport (plain TCP: the session drives the descriptor itself, with nothing of
// Qt's per-connection machinery left) and SocketTransport (a QAbstractSocket: HTTPS, whose
// TLS session lives in the socket object, and the benchmarks' baseline).
class SseTransport {
public:
    enum class Ended {
        PeerClosed, // FIN or RST from the client
        TimedOut,   // the kernel gave up on the peer (TCP_USER_TIMEOUT) or the network failed
        Failed      // the kernel refused a write
    };
    // Told what happens on the connection; may close the session (and so the transport) from
    // inside the call.
    class Listener {
    public:
        virtual void transportProgressed() = 0; // the kernel took queued bytes
        virtual void transportEnded(Ended how) = 0;

    protected:
        ~Listener() = default;
    };
    enum class CloseMode {
        Flush,        // send what is queued first, as far as the kernel takes it (shutdown)
        Abort,        // drop what is queued
        AlreadyClosed // the peer closed: just let go
    };

    virtual ~SseTransport() = default;

    virtual bool isConnected() const = 0;
    virtual int descriptor() const = 0;
    // Bytes queued in this process, not yet taken by the kernel.
    virtual qint64 bytesToWrite() const = 0;
    // Writes the parts in order (to the kernel at once where it takes them, the rest queued).
    // Returns how it went: anything but nullopt ended the connection.
    virtual std::optional<Ended> write(const QByteArrayView *parts, qsizetype count) = 0;
    // Ends the connection; the object stays valid (idle) until destroyed.
    virtual void close(CloseMode mode) = 0;
};

} // namespace presence
