#pragma once

#include <QHashFunctions>
#include <QString>
#include <QStringView>

#include <optional>

namespace presence {

// A validated client identifier: 1–128 characters from letters, digits and "._-:@".
// Only fromString() makes one, so holding a ClientId means the rule was checked.
// Room names follow the same rule (see isValidIdentifier).
class ClientId {
public:
    static constexpr qsizetype maxLength = 128;

    // Returns the id, or nullopt with *whyNot set to a sentence naming the rule.
    static std::optional<ClientId> fromString(QStringView text, QString *whyNot = nullptr);
    static QString rule();

    const QString &toString() const { return m_value; }
    bool isEmpty() const { return m_value.isEmpty(); }

    friend bool operator==(const ClientId &, const ClientId &) = default;
    friend bool operator<(const ClientId &a, const ClientId &b) { return a.m_value < b.m_value; }
    friend size_t qHash(const ClientId &id, size_t seed = 0) { return qHash(id.m_value, seed); }

    ClientId() = default;

private:
    explicit ClientId(QString value) : m_value(std::move(value)) {}
    QString m_value;
};

// The identifier rule shared by client ids and room names.
bool isValidIdentifier(QStringView text, QString *whyNot = nullptr);

} // namespace presence
