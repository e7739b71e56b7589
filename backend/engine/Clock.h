#pragma once

#include <QElapsedTimer>
#include <QtGlobal>

namespace presence {

// Time as the engines see it. Wall time stamps events; monotonic time orders deadlines,
// so a wall-clock step never expires or revives a client. Tests pass a manual clock.
class Clock {
public:
    virtual ~Clock() = default;
    virtual qint64 wallMs() const = 0;
    virtual qint64 monotonicMs() const = 0;
};

class SystemClock final : public Clock {
public:
    SystemClock();
    qint64 wallMs() const override;
    qint64 monotonicMs() const override;

private:
    QElapsedTimer m_started;
};

} // namespace presence
