#include "NaturalOrder.h"

#include <QChar>

namespace presence {

namespace {
bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

qsizetype digitsEnd(QStringView text, qsizetype from)
{
    while (from < text.size() && isDigit(text[from]))
        ++from;
    return from;
}

qsizetype zerosEnd(QStringView text, qsizetype from, qsizetype end)
{
    // Keeps the last digit: "000" is the number 0, one digit long.
    while (from + 1 < end && text[from] == u'0')
        ++from;
    return from;
}
} // namespace

int naturalCompare(QStringView left, QStringView right)
{
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < left.size() && j < right.size()) {
        if (isDigit(left[i]) && isDigit(right[j])) {
            const qsizetype leftEnd = digitsEnd(left, i);
            const qsizetype rightEnd = digitsEnd(right, j);
            const qsizetype leftStart = zerosEnd(left, i, leftEnd);
            const qsizetype rightStart = zerosEnd(right, j, rightEnd);
            // More significant digits: a larger number, whatever they are.
            if (leftEnd - leftStart != rightEnd - rightStart)
                return leftEnd - leftStart < rightEnd - rightStart ? -1 : 1;
            const int digits = left.sliced(leftStart, leftEnd - leftStart)
                                   .compare(right.sliced(rightStart, rightEnd - rightStart));
            if (digits != 0)
                return digits < 0 ? -1 : 1;
            i = leftEnd;
            j = rightEnd;
            continue;
        }
        const char32_t a = QChar::toCaseFolded(char32_t(left[i].unicode()));
        const char32_t b = QChar::toCaseFolded(char32_t(right[j].unicode()));
        if (a != b)
            return a < b ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < left.size() || j < right.size())
        return i < left.size() ? 1 : -1;
    const int plain = left.compare(right);
    return plain < 0 ? -1 : (plain > 0 ? 1 : 0);
}

} // namespace presence
