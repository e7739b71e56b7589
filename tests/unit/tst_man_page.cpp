// presence(1) and --help come from one option table: every option of --help is in the page.
#include "app/ManPage.h"
#include "app/Options.h"

#include <QRegularExpression>
#include <QTest>

using namespace presence;

class TestManPage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyOptionOfHelpIsInThePage()
    {
        const OptionsParse help =
            parseOptions({QStringLiteral("presence"), QStringLiteral("--help")}, {});
        QCOMPARE(help.outcome, OptionsParse::Outcome::ShowHelp);
        const QString page = manPage(QStringLiteral("9.9.9"));
        const QRegularExpression option(QStringLiteral("--([a-z][a-z-]+)"));
        int seen = 0;
        for (auto it = option.globalMatch(help.text); it.hasNext();) {
            const QString name = it.next().captured(1);
            QVERIFY2(page.contains(QStringLiteral("\\fB\\-\\-") + roffEscaped(name) +
                                   QStringLiteral("\\fR")),
                     qPrintable(name));
            ++seen;
        }
        QVERIFY(seen >= int(optionTable().size()));
        QVERIFY(page.contains(u"\\fB\\-\\-redis\\-password\\-file\\fR \\fIFILE\\fR"));
        QVERIFY(page.contains(u"\\fB\\-h\\fR, \\fB\\-\\-help\\fR"));
    }

    void everyTableRowReachesTheParser()
    {
        const OptionsParse help =
            parseOptions({QStringLiteral("presence"), QStringLiteral("--help")}, {});
        for (const OptionSpec &spec : optionTable())
            QVERIFY2(help.text.contains(QStringLiteral("--") + QString::fromLatin1(spec.name)),
                     spec.name);
    }

    void pageIsWellFormedRoff()
    {
        const QString page = manPage(QStringLiteral("1.2.3"));
        QVERIFY(page.startsWith(u".TH PRESENCE 1 \"\" \"presence 1.2.3\""));
        for (const char *section :
             {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS"})
            QVERIFY2(page.contains(QStringLiteral("\n.SH ") + QLatin1String(section) +
                                   QLatin1Char('\n')),
                     section);
        QVERIFY(page.contains(u"\\fBPRESENCE_MAX_SESSIONS\\fR"));
        // No line may start with a bare '.' or '\'' that is not a request we wrote.
        for (const QString &line : page.split(QLatin1Char('\n'))) {
            if (line.startsWith(u'\''))
                QFAIL(qPrintable(line));
        }
    }

    void escaping()
    {
        QCOMPARE(roffEscaped(QStringLiteral("a-b\\c")), QStringLiteral("a\\-b\\ec"));
        QCOMPARE(roffEscaped(QStringLiteral(".x")), QStringLiteral("\\&.x"));
        QCOMPARE(roffEscaped(QStringLiteral("'x")), QStringLiteral("\\&'x"));
    }
};

QTEST_GUILESS_MAIN(TestManPage)
#include "tst_man_page.moc"
