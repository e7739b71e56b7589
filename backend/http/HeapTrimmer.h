#pragma once

#include <QObject>
#include <QTimer>

namespace presence {

// Gives the memory a burst of connections freed back to the system. Opening a stream
// allocates and frees far more than the stream keeps (the request's 16 KiB read buffer, its
// roster's chunks); glibc keeps the freed blocks in the heap, between the small objects that
// stay, and returns only the top of the heap by itself: after 5,000 opens, about 5 KiB a
// session of the process's memory was such free blocks (heaptrack: 7.2 KiB live of ~12 KiB).
// malloc_trim() returns the whole pages among them. At most once per `delayMs` while streams
// come and go, once after they stop; a no-op where the C library is not glibc.
class HeapTrimmer final : public QObject {
    Q_OBJECT
public:
    explicit HeapTrimmer(int delayMs = 1000, QObject *parent = nullptr);

    // Streams opened or closed: trim once `delayMs` has passed (a trim already due covers it);
    // never with `delayMs` 0.
    void noteChurn();
    bool isTrimDue() const { return m_timer.isActive(); }
    quint64 trims() const { return m_trims; }

private:
    void trim();

    QTimer m_timer;
    quint64 m_trims = 0;
};

} // namespace presence
