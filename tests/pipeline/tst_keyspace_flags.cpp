#include "redis/KeyspaceFlags.h"

#include <QTest>

using namespace presence;

class TestKeyspaceFlags : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void addsOnlyWhatIsMissing_data()
    {
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("after");
        QTest::newRow("empty") << QString() << QStringLiteral("Ex");
        QTest::newRow("already") << QStringLiteral("Ex") << QStringLiteral("Ex");
        QTest::newRow("keyspace only") << QStringLiteral("Kx") << QStringLiteral("KxE");
        QTest::newRow("others kept") << QStringLiteral("Kg$") << QStringLiteral("Kg$Ex");
        QTest::newRow("all alias") << QStringLiteral("KEA") << QStringLiteral("KEA");
        QTest::newRow("evicted only") << QStringLiteral("Ee") << QStringLiteral("Eex");
    }
    void addsOnlyWhatIsMissing()
    {
        QFETCH(QString, before);
        QFETCH(QString, after);
        QCOMPARE(keyspaceFlagsWithExpired(before), after);
        QVERIFY(keyspaceFlagsDeliverExpiredKeyevents(after));
    }

    void removesOnlyExpired()
    {
        QCOMPARE(keyspaceFlagsWithoutExpired(QStringLiteral("Ex")), QStringLiteral("E"));
        QCOMPARE(keyspaceFlagsWithoutExpired(QStringLiteral("Kg$xE")), QStringLiteral("Kg$E"));
        const QString fromAll = keyspaceFlagsWithoutExpired(QStringLiteral("KEA"));
        QVERIFY(!fromAll.contains(QLatin1Char('x')));
        QVERIFY(!fromAll.contains(QLatin1Char('A')));
        for (QChar kept : QStringLiteral("KEg$lshzetd"))
            QVERIFY2(fromAll.contains(kept), qPrintable(fromAll));
        QVERIFY(!keyspaceFlagsDeliverExpiredKeyevents(fromAll));
    }

    void whatDelivers()
    {
        QVERIFY(!keyspaceFlagsDeliverExpiredKeyevents(QString()));
        QVERIFY(!keyspaceFlagsDeliverExpiredKeyevents(QStringLiteral("Kx"))); // keyspace channel only
        QVERIFY(keyspaceFlagsDeliverExpiredKeyevents(QStringLiteral("EA")));
    }
};

QTEST_GUILESS_MAIN(TestKeyspaceFlags)
#include "tst_keyspace_flags.moc"
