// parseListenAddress reads --listen / PRESENCE_LISTEN.
#include "FuzzCheck.h"
#include "app/Options.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data),
                                           static_cast<qsizetype>(size));
    QString host = QStringLiteral("unchanged");
    quint16 port = 1;
    if (!presence::parseListenAddress(text, &host, &port)) {
        // A refusal leaves the defaults alone.
        FUZZ_CHECK(host == u"unchanged" && port == 1);
        return 0;
    }
    FUZZ_CHECK(!host.isEmpty());
    // The address written back reads the same. Hosts with brackets of their own ("[[a]]:1")
    // are no address at all (listening on them fails later, with the host named), so they are
    // left out of the round trip.
    if (host.contains(u'[') || host.contains(u']'))
        return 0;
    const QString written = (host.contains(u':') ? u'[' + host + u']' : host) + u':'
                            + QString::number(port);
    QString hostAgain;
    quint16 portAgain = 0;
    FUZZ_CHECK(presence::parseListenAddress(written, &hostAgain, &portAgain));
    FUZZ_CHECK(hostAgain == host && portAgain == port);
    return 0;
}
