#include "EventId.h"

#include <charconv>

#include <limits>

namespace presence {

namespace {
std::optional<quint64> parseNumber(QByteArrayView digits)
{
    // At most 20 digits fit a 64-bit unsigned; reject signs, spaces and anything else.
    if (digits.isEmpty() || digits.size() > 20)
        return std::nullopt;
    quint64 value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        const quint64 digit = quint64(c - '0');
        if (value > (std::numeric_limits<quint64>::max() - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}
} // namespace

std::optional<EventId> EventId::parse(QByteArrayView text)
{
    const qsizetype dash = text.indexOf('-');
    if (dash < 0) {
        const auto ms = parseNumber(text);
        if (!ms)
            return std::nullopt;
        return EventId{*ms, 0};
    }
    const auto ms = parseNumber(text.first(dash));
    const auto seq = parseNumber(text.sliced(dash + 1));
    if (!ms || !seq)
        return std::nullopt;
    return EventId{*ms, *seq};
}

QByteArray EventId::toByteArray() const
{
    QByteArray out;
    appendTo(out);
    return out;
}

void EventId::appendTo(QByteArray &out) const
{
    char text[2 * 20 + 1];
    char *end = std::to_chars(text, text + 20, ms).ptr;
    *end++ = '-';
    end = std::to_chars(end, end + 20, seq).ptr;
    out.append(text, end - text);
}

EventId EventId::next() const
{
    if (seq == std::numeric_limits<quint64>::max())
        return EventId{ms + 1, 0};
    return EventId{ms, seq + 1};
}

} // namespace presence
