// RedisUrl::parse reads --redis / PRESENCE_REDIS; toDisplayString() is what logs show of it.
#include "FuzzCheck.h"
#include "redis/RedisUrl.h"

#include <cstddef>
#include <cstdint>

using presence::RedisUrl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data),
                                           static_cast<qsizetype>(size));
    QString whyNot;
    const auto url = RedisUrl::parse(text, &whyNot);
    if (!url) {
        FUZZ_CHECK(!whyNot.isEmpty());
        return 0;
    }
    FUZZ_CHECK(url->database() >= 0);
    if (url->transport() == RedisUrl::Transport::Tcp) {
        FUZZ_CHECK(!url->host().isEmpty() && url->port() >= 1);
    } else {
        FUZZ_CHECK(url->socketPath().startsWith(u'/') && url->socketPath().size() >= 2);
    }
    FUZZ_CHECK(url->hasPassword() || url->user().isEmpty());

    // The display string says nothing about the password: it is the same whatever the
    // password is, so no part of it can leak (a literal contains() would also flag a
    // password like "6379" that merely equals the port).
    const QString display = url->toDisplayString();
    if (url->hasPassword()) {
        const RedisUrl other = url->withCredentials(url->user(), QByteArrayLiteral("\x01"));
        FUZZ_CHECK(other.toDisplayString() == display);
        const QString password = QString::fromUtf8(url->password());
        FUZZ_CHECK(display.contains(QStringLiteral("***")));
        FUZZ_CHECK(!display.contains(password) || other.toDisplayString().contains(password));
    }
    return 0;
}
