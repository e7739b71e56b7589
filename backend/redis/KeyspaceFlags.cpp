#include "KeyspaceFlags.h"

namespace presence {

namespace {
const QString allAlias = QStringLiteral("g$lshzxetd");

QString expandAll(QString flags)
{
    if (!flags.contains(QLatin1Char('A')))
        return flags;
    flags.remove(QLatin1Char('A'));
    for (QChar c : allAlias) {
        if (!flags.contains(c))
            flags.append(c);
    }
    return flags;
}
} // namespace

bool keyspaceFlagsDeliverExpiredKeyevents(const QString &flags)
{
    return flags.contains(QLatin1Char('E'))
           && (flags.contains(QLatin1Char('x')) || flags.contains(QLatin1Char('A')));
}

QString keyspaceFlagsWithExpired(const QString &flags)
{
    QString merged = flags;
    if (!merged.contains(QLatin1Char('E')))
        merged.append(QLatin1Char('E'));
    if (!merged.contains(QLatin1Char('x')) && !merged.contains(QLatin1Char('A')))
        merged.append(QLatin1Char('x'));
    return merged;
}

QString keyspaceFlagsWithoutExpired(const QString &flags)
{
    QString reduced = expandAll(flags);
    reduced.remove(QLatin1Char('x'));
    return reduced;
}

} // namespace presence
