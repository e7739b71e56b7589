#pragma once

#include <QSocketNotifier>
#include <memory>

struct redisAsyncContext;

namespace presence {

// Drives one hiredis async context from the Qt event loop: hiredis asks for read/write
// interest through its ev hooks, two QSocketNotifiers on the context's socket deliver it.
// (Debian's hiredis/adapters/qt.h connects SIGNAL(activated(int)), which Qt 6 no longer
// emits under that signature, so it never fires.)
//
// The adapter outlives contexts: attach() binds a new one, and hiredis's cleanup hook (or
// detach()) unbinds it. After detach() the context no longer calls into the adapter, so it
// may be freed later (hiredis defers frees requested inside callbacks).
class QtRedisAdapter {
public:
    QtRedisAdapter() = default;
    ~QtRedisAdapter();
    QtRedisAdapter(const QtRedisAdapter &) = delete;
    QtRedisAdapter &operator=(const QtRedisAdapter &) = delete;

    void attach(redisAsyncContext *context);
    void detach();
    bool isAttached() const { return m_context != nullptr; }

private:
    static void addRead(void *self);
    static void delRead(void *self);
    static void addWrite(void *self);
    static void delWrite(void *self);
    static void cleanup(void *self);

    void setEnabled(QSocketNotifier *notifier, bool enabled);
    void dropNotifiers();

    redisAsyncContext *m_context = nullptr;
    std::unique_ptr<QSocketNotifier> m_read;
    std::unique_ptr<QSocketNotifier> m_write;
};

} // namespace presence
