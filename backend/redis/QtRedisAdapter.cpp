#include "redis/QtRedisAdapter.h"

#include <hiredis/async.h>

namespace presence {

QtRedisAdapter::~QtRedisAdapter()
{
    detach();
}

void QtRedisAdapter::attach(redisAsyncContext *context)
{
    detach();
    m_context = context;
    const qintptr fd = context->c.fd;
    m_read = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
    m_write = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Write);
    m_read->setEnabled(false);
    m_write->setEnabled(false);
    // The notifier is the connection's context object: if it is deleted from inside a hiredis
    // callback (QSocketNotifier guards its own emission against that), nothing runs after.
    QObject::connect(m_read.get(), &QSocketNotifier::activated, m_read.get(),
                     [this] { redisAsyncHandleRead(m_context); });
    QObject::connect(m_write.get(), &QSocketNotifier::activated, m_write.get(),
                     [this] { redisAsyncHandleWrite(m_context); });

    context->ev.data = this;
    context->ev.addRead = &QtRedisAdapter::addRead;
    context->ev.delRead = &QtRedisAdapter::delRead;
    context->ev.addWrite = &QtRedisAdapter::addWrite;
    context->ev.delWrite = &QtRedisAdapter::delWrite;
    context->ev.cleanup = &QtRedisAdapter::cleanup;
}

void QtRedisAdapter::detach()
{
    if (m_context) {
        m_context->ev = {};
        m_context = nullptr;
    }
    dropNotifiers();
}

void QtRedisAdapter::dropNotifiers()
{
    // Qt 6's QSocketNotifier::event() checks it is still alive after emitting, so deleting
    // it here even from within its own activated() is safe.
    m_read.reset();
    m_write.reset();
}

void QtRedisAdapter::setEnabled(QSocketNotifier *notifier, bool enabled)
{
    if (notifier && notifier->isEnabled() != enabled)
        notifier->setEnabled(enabled);
}

void QtRedisAdapter::addRead(void *self)
{
    auto *adapter = static_cast<QtRedisAdapter *>(self);
    adapter->setEnabled(adapter->m_read.get(), true);
}

void QtRedisAdapter::delRead(void *self)
{
    auto *adapter = static_cast<QtRedisAdapter *>(self);
    adapter->setEnabled(adapter->m_read.get(), false);
}

void QtRedisAdapter::addWrite(void *self)
{
    auto *adapter = static_cast<QtRedisAdapter *>(self);
    adapter->setEnabled(adapter->m_write.get(), true);
}

void QtRedisAdapter::delWrite(void *self)
{
    auto *adapter = static_cast<QtRedisAdapter *>(self);
    adapter->setEnabled(adapter->m_write.get(), false);
}

// hiredis is about to close the socket and free the context (error, EOF or our own free).
void QtRedisAdapter::cleanup(void *self)
{
    static_cast<QtRedisAdapter *>(self)->detach();
}

} // namespace presence
