#include "ManPage.h"

#include "Options.h"

namespace presence {

QString roffEscaped(const QString &text)
{
    QString out;
    out.reserve(text.size() + 8);
    for (const QChar c : text) {
        if (c == u'\\')
            out += QStringLiteral("\\e");
        else if (c == u'-')
            out += QStringLiteral("\\-");
        else
            out += c;
    }
    if (out.startsWith(u'.') || out.startsWith(u'\''))
        out.prepend(QStringLiteral("\\&"));
    return out;
}

namespace {

QString optionLine(const OptionSpec &spec)
{
    const QString name = QString::fromLatin1(spec.name);
    QString line = QStringLiteral(".TP\n");
    if (name == u"help" || name == u"version")
        line += QStringLiteral("\\fB\\-%1\\fR, ").arg(name.left(1));
    line += QStringLiteral("\\fB\\-\\-%1\\fR").arg(roffEscaped(name));
    if (spec.valueName)
        line += QStringLiteral(" \\fI%1\\fR").arg(roffEscaped(QString::fromLatin1(spec.valueName)));
    line += QLatin1Char('\n') + roffEscaped(QString::fromUtf8(spec.help)) + QLatin1Char('\n');
    return line;
}

QString paragraph(const QString &text)
{
    return QStringLiteral(".PP\n") + roffEscaped(text) + QLatin1Char('\n');
}

QString entry(const QString &term, const QString &text)
{
    return QStringLiteral(".TP\n\\fB%1\\fR\n%2\n").arg(roffEscaped(term), roffEscaped(text));
}

} // namespace

QString manPage(const QString &version)
{
    QString page;
    page += QStringLiteral(".TH PRESENCE 1 \"\" \"presence %1\" \"User Commands\"\n")
                .arg(roffEscaped(version));
    page += QStringLiteral(
        ".SH NAME\npresence \\- who is online, told to every client within a known time\n");
    page += QStringLiteral(
        ".SH SYNOPSIS\n.B presence\n[\\fIOPTION\\fR]...\n.br\n.B presence \\-\\-headless\n"
        "[\\fIOPTION\\fR]...\n");
    page += QStringLiteral(".SH DESCRIPTION\n");
    page += paragraph(QStringLiteral(
        "presence tells every connected client who is online, within a known, bounded time after "
        "someone comes or goes. Clients open GET /{client} as a Server-Sent Events stream; the "
        "node keeps them ONLINE with heartbeats through Redis Streams (or an in-memory engine) "
        "and streams every change. Without --headless it opens the operator dashboard; with "
        "--headless it serves the same backend without a window."));
    page +=
        paragraph(QStringLiteral("Routes: GET /{client}[?room=R] (SSE), /api/presence, /api/rooms, "
                                 "/api/rooms/{room}/presence, /api/nodes (every node, its "
                                 "consumers, the alerts), /health, /metrics (Prometheus text) "
                                 "and / (a live roster page)."));
    page += QStringLiteral(".SH OPTIONS\n");
    for (const OptionSpec &spec : optionTable())
        page += optionLine(spec);
    page += QStringLiteral(".SH ENVIRONMENT\n");
    page += paragraph(QStringLiteral(
        "Every option can also be set as PRESENCE_<OPTION>, upper case with '-' as '_' "
        "(PRESENCE_HEARTBEAT=2s, PRESENCE_HEADLESS=1); the command line wins:"));
    for (const OptionSpec &spec : optionTable()) {
        const QString name = QString::fromLatin1(spec.name);
        if (name == u"help" || name == u"version" || name == u"help-man" ||
            name == u"check-config" || name == u"mint-token")
            continue;
        page +=
            QStringLiteral(".br\n\\fB%1\\fR\n").arg(roffEscaped(optionEnvironmentName(spec.name)));
    }
    for (const SecretSource &secret : secretSources())
        page +=
            entry(QString::fromLatin1(secret.variable),
                  QStringLiteral("The secret itself, instead of --%1. Secrets are never read from "
                                 "the command line, where ps shows them.")
                      .arg(QString::fromLatin1(secret.fileOption)));
    QStringList credentialNames;
    for (const SecretSource &secret : secretSources())
        credentialNames.append(QString::fromLatin1(secret.credential));
    page +=
        entry(QStringLiteral("CREDENTIALS_DIRECTORY"),
              QStringLiteral("systemd credentials (LoadCredential=): a secret given neither as a "
                             "file option nor as a variable is read from the credential named %1; "
                             "an empty credential counts as not set.")
                  .arg(credentialNames.join(QStringLiteral(", "))));
    page += entry(QStringLiteral("NOTIFY_SOCKET"),
                  QStringLiteral("With --headless, READY=1 is sent there once the node listens and "
                                 "STOPPING=1 when it shuts down (systemd Type=notify)."));
    page += entry(
        QStringLiteral("QT_LOGGING_RULES"),
        QStringLiteral("e.g. presence.*.debug=true turns on debug lines. Logs go to stderr."));
    page += QStringLiteral(".SH FILES\n");
    page +=
        entry(QStringLiteral("/etc/default/presence"),
              QStringLiteral("PRESENCE_* settings read by presence.service (EnvironmentFile=)."));
    page += entry(
        QStringLiteral("/usr/lib/systemd/system/presence.service"),
        QStringLiteral("The headless server as a hardened systemd service; secrets come from "
                       "/etc/presence/token-secret, admin-token and redis-password when present."));
    page += entry(QStringLiteral("/usr/share/presence/"),
                  QStringLiteral("The web page and the Redis function library (presence.lua) the "
                                 "binary carries, for reference."));
    page += QStringLiteral(".SH EXIT STATUS\n");
    page += entry(
        QStringLiteral("0"),
        QStringLiteral("Stopped by SIGINT or SIGTERM, or --check-config found nothing wrong."));
    page += entry(QStringLiteral("1"),
                  QStringLiteral("The node could not start, or --check-config found a problem."));
    page += entry(QStringLiteral("2"), QStringLiteral("Bad command line or environment value."));
    page += QStringLiteral(".SH SEE ALSO\n.BR redis\\-server (1),\n.BR systemd.exec (5),\n.BR "
                           "systemd\\-analyze (1)\n");
    return page;
}

} // namespace presence
