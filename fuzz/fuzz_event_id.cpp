// EventId::parse reads a client's Last-Event-ID header and the ids of entries read from Redis;
// RoomCursor::parse reads the header when it is no id (a cluster session's place in each room).
#include "FuzzCheck.h"
#include "model/EventId.h"
#include "model/RoomCursor.h"

#include <cstddef>
#include <cstdint>

using presence::EventId;
using presence::RoomCursor;

namespace {
void checkCursor(QByteArrayView text)
{
    const auto cursor = RoomCursor::parse(text);
    if (!cursor)
        return;
    FUZZ_CHECK(!EventId::parse(text)); // a header is one or the other, never both
    FUZZ_CHECK(!cursor->ids.isEmpty() && cursor->ids.size() <= RoomCursor::maxRooms);
    FUZZ_CHECK(RoomCursor::parse(cursor->toByteArray()) == cursor);
    FUZZ_CHECK(cursor->toByteArray().size() <= text.size() + 2 * cursor->ids.size());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView text(data, static_cast<qsizetype>(size));
    checkCursor(text);
    const auto id = EventId::parse(text);
    if (!id)
        return 0;
    // Digits and at most one dash, nothing else.
    for (char c : text)
        FUZZ_CHECK((c >= '0' && c <= '9') || c == '-');
    const QByteArray canonical = id->toByteArray();
    FUZZ_CHECK(EventId::parse(canonical) == id);
    FUZZ_CHECK(id->toString() == QString::fromLatin1(canonical));
    // The canonical form is the input without leading zeros (and with "-0" for a bare ms).
    FUZZ_CHECK(canonical.size() <= text.size() + 2);
    // next() is the smallest greater id; only the very last id has none (it wraps to 0-0).
    const bool isLast = id->ms == UINT64_MAX && id->seq == UINT64_MAX;
    FUZZ_CHECK(isLast || id->next() > *id);
    return 0;
}
