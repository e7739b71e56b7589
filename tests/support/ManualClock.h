#pragma once

#include "engine/Clock.h"

namespace presence::test {

// A clock that only moves when the test says so.
class ManualClock final : public Clock {
public:
    qint64 wallMs() const override { return m_wallMs; }
    qint64 monotonicMs() const override { return m_monotonicMs; }
    void advance(qint64 ms)
    {
        m_wallMs += ms;
        m_monotonicMs += ms;
    }
    // A wall-clock step (NTP, a user) that monotonic time does not see.
    void stepWall(qint64 ms) { m_wallMs += ms; }

private:
    qint64 m_wallMs = 1'700'000'000'000;
    qint64 m_monotonicMs = 1'000;
};

} // namespace presence::test
