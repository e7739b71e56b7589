#include "HeapTrimmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace presence {

HeapTrimmer::HeapTrimmer(int delayMs, QObject *parent)
    : QObject(parent)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(delayMs);
    connect(&m_timer, &QTimer::timeout, this, &HeapTrimmer::trim);
}

void HeapTrimmer::noteChurn()
{
    if (m_timer.interval() > 0 && !m_timer.isActive())
        m_timer.start();
}

void HeapTrimmer::trim()
{
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
    ++m_trims;
}

} // namespace presence
