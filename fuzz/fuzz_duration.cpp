// parseDuration reads --heartbeat and --grace (and their PRESENCE_* variables).
#include "FuzzCheck.h"
#include "app/Options.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data),
                                           static_cast<qsizetype>(size));
    const auto ms = presence::parseDuration(text);
    if (!ms)
        return 0;
    // Within a day, never negative, and always written with a unit.
    FUZZ_CHECK(*ms >= 0 && *ms <= 24LL * 3600 * 1000);
    const QStringView trimmed = QStringView(text).trimmed();
    FUZZ_CHECK(trimmed.endsWith(u's'));
    // Whole milliseconds survive being written back out.
    FUZZ_CHECK(presence::parseDuration(QString::number(*ms) + QStringLiteral("ms")) == ms);
    return 0;
}
