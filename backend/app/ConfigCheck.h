#pragma once

#include "Options.h"

#include <QProcessEnvironment>
#include <QStringList>

namespace presence {

// What `presence --check-config` looks at beyond the options themselves, gathered by
// probeHost() so that configProblems() stays a pure function a unit test can feed.
struct HostFacts {
    qint64 openFileLimit = -1;         // soft RLIMIT_NOFILE; -1: unlimited or unknown
    bool redisServerInstalled = false; // a redis-server for the private default
    QString listenProblem;             // why --listen cannot be bound now; empty if it can
};

// File descriptors a node needs at its limits: one per connection it accepts, plus headroom
// for Redis connections, the listener, the private redis-server's pipes and logs.
int requiredOpenFiles(const Options &options);
inline constexpr int openFileHeadroom = 64;

// Every reason the node would not start, or would break later (an fd limit below the session
// limit fails at the 1,000th client, not at start), one sentence each; empty: usable.
QStringList configProblems(const Options &options, const HostFacts &facts);

// PRESENCE_* variables that are no option (a typo would be ignored silently otherwise).
QStringList unknownPresenceVariables(const QProcessEnvironment &environment);

HostFacts probeHost(const Options &options);

} // namespace presence
