#pragma once

#include <QHashFunctions>
#include <QString>
#include <QStringView>

#include <optional>

namespace presence {

// A validated room name (the client-id rule). The default room, "default", is the global
// roster of the seed: a client that names no room is in it, and on the wire (streams, SSE
// events) it is the room that is not written down, so programs that know nothing of rooms
// see exactly the seed's contract.
class RoomName {
public:
    static constexpr qsizetype maxLength = 128;

    static std::optional<RoomName> fromString(QStringView text, QString *whyNot = nullptr);
    // The default room's name, as the API shows it.
    static QString defaultName() { return QStringLiteral("default"); }

    RoomName() = default; // the default room
    bool isDefault() const { return m_value.isEmpty(); }
    // "default" for the default room.
    QString toString() const { return isDefault() ? defaultName() : m_value; }
    // What goes into stream fields and keys: empty for the default room.
    const QString &wireName() const { return m_value; }

    friend bool operator==(const RoomName &, const RoomName &) = default;
    friend bool operator<(const RoomName &a, const RoomName &b) { return a.m_value < b.m_value; }
    friend size_t qHash(const RoomName &room, size_t seed = 0) { return qHash(room.m_value, seed); }

private:
    explicit RoomName(QString value) : m_value(std::move(value)) {}
    QString m_value; // empty: the default room
};

} // namespace presence
