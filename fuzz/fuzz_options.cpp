// parseOptions over a command line and an environment made from the input. Each line is one
// item: "--name", "--name=value" or "--name value" are arguments; "NAME=value" becomes the
// variable PRESENCE_NAME (NAME upper-cased, '-' to '_'), e.g. "heartbeat=2s". Options that name
// a file are dropped: the fuzzer is not to read /dev/zero or wait on a FIFO.
#include "FuzzCheck.h"
#include "app/Options.h"

#include <QProcessEnvironment>
#include <QStringList>

#include <cstddef>
#include <cstdint>

using namespace presence;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data),
                                           static_cast<qsizetype>(size));
    QStringList arguments{QStringLiteral("presence")};
    QProcessEnvironment environment;
    for (const QString &line : text.split(u'\n')) {
        if (line.contains(QStringLiteral("file"), Qt::CaseInsensitive))
            continue;
        if (line.startsWith(u'-')) {
            arguments.append(line);
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            continue;
        QString name = line.left(eq).toUpper();
        name.replace(u'-', u'_');
        environment.insert(QStringLiteral("PRESENCE_") + name, line.mid(eq + 1));
    }

    const OptionsParse parse = parseOptions(arguments, environment);
    if (parse.outcome == OptionsParse::Outcome::Error)
        FUZZ_CHECK(!parse.text.isEmpty());
    if (parse.outcome != OptionsParse::Outcome::Run)
        return 0;
    // Whatever ran was checked: the ranges the help text promises.
    const Options &options = parse.options;
    FUZZ_CHECK(options.timing.heartbeatMs >= 10);
    FUZZ_CHECK(options.timing.ttlFactor >= 1.0 && options.timing.ttlFactor <= 100.0);
    FUZZ_CHECK(options.timing.graceMs >= 0);
    FUZZ_CHECK(options.keyPrefix.size() <= 64 && !options.keyPrefix.contains(u' '));
    FUZZ_CHECK(options.nodeId.size() <= 128);
    FUZZ_CHECK(!options.listenHost.isEmpty());
    FUZZ_CHECK(!(options.engine == EngineChoice::Memory && !options.redisUrl.isEmpty()));
    return 0;
}
