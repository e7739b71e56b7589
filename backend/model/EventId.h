#pragma once

#include <QByteArray>
#include <QString>

#include <compare>
#include <optional>

namespace presence {

// The id of a presence event, in the Redis stream entry id form "<ms>-<seq>".
// The in-memory engine issues ids of the same form, so SSE clients, Last-Event-ID
// and the dashboard see one format whichever engine runs.
struct EventId {
    quint64 ms = 0;
    quint64 seq = 0;

    static std::optional<EventId> parse(QByteArrayView text);
    QByteArray toByteArray() const;
    void appendTo(QByteArray &out) const; // toByteArray()'s bytes, appended
    QString toString() const { return QString::fromLatin1(toByteArray()); }
    bool isNull() const { return ms == 0 && seq == 0; }
    // The smallest id greater than this one (for exclusive ranges).
    EventId next() const;

    friend bool operator==(const EventId &, const EventId &) = default;
    friend auto operator<=>(const EventId &, const EventId &) = default;
};

} // namespace presence
