// The notify-keyspace-events flags read back from CONFIG GET, whatever others set there.
#include "FuzzCheck.h"
#include "redis/KeyspaceFlags.h"

#include <cstddef>
#include <cstdint>

using namespace presence;

namespace {
// "A" stands for these classes (Redis' notify.c).
const QString allAlias = QStringLiteral("g$lshzxetd");
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString flags = QString::fromUtf8(reinterpret_cast<const char *>(data),
                                            static_cast<qsizetype>(size));

    // With expired: expired keyevents are delivered, and nothing that was there is lost.
    const QString with = keyspaceFlagsWithExpired(flags);
    FUZZ_CHECK(keyspaceFlagsDeliverExpiredKeyevents(with));
    FUZZ_CHECK(with.startsWith(flags));
    FUZZ_CHECK(keyspaceFlagsWithExpired(with) == with);

    // Without expired: no x left (nor an A that implies it), expired keyevents not delivered,
    // and every other class still there (those of an A spelled out).
    const QString without = keyspaceFlagsWithoutExpired(flags);
    FUZZ_CHECK(!without.contains(u'x') && !without.contains(u'A'));
    FUZZ_CHECK(!keyspaceFlagsDeliverExpiredKeyevents(without));
    for (QChar c : flags) {
        if (c == u'x')
            continue;
        if (c == u'A') {
            for (QChar implied : allAlias)
                FUZZ_CHECK(implied == u'x' || without.contains(implied));
            continue;
        }
        FUZZ_CHECK(without.contains(c));
    }
    FUZZ_CHECK(keyspaceFlagsWithoutExpired(without) == without);
    return 0;
}
