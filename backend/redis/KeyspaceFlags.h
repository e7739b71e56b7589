#pragma once

#include <QString>

namespace presence {

// notify-keyspace-events is one string of flags shared by everyone using the server.
// These helpers change only what we need, never clobbering the rest.
//
// Expired events need a channel class (E: keyevent, or K: keyspace) and the x class. "A" is an
// alias for "g$lshzxetd"; it is expanded when x must be taken out of it.

// True when expired events reach __keyevent@<db>__:expired.
bool keyspaceFlagsDeliverExpiredKeyevents(const QString &flags);
// The flags with E and x added (unchanged when they are already there).
QString keyspaceFlagsWithExpired(const QString &flags);
// The flags with x removed (A expanded first), leaving every other class as it was.
QString keyspaceFlagsWithoutExpired(const QString &flags);

} // namespace presence
