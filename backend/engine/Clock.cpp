#include "Clock.h"

#include <QDateTime>

namespace presence {

SystemClock::SystemClock() { m_started.start(); }

qint64 SystemClock::wallMs() const { return QDateTime::currentMSecsSinceEpoch(); }

qint64 SystemClock::monotonicMs() const { return m_started.elapsed(); }

} // namespace presence
