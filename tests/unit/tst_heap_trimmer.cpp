#include "http/HeapTrimmer.h"

#include <QTest>

using namespace presence;

class TestHeapTrimmer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aBurstOfChurnIsOneTrim()
    {
        HeapTrimmer trimmer(20);
        for (int i = 0; i < 100; ++i)
            trimmer.noteChurn();
        QVERIFY(trimmer.isTrimDue());
        QTRY_COMPARE(trimmer.trims(), quint64(1));
        QVERIFY(!trimmer.isTrimDue());
        trimmer.noteChurn(); // churn after a trim: another one
        QTRY_COMPARE(trimmer.trims(), quint64(2));
    }

    void noDelayNeverTrims()
    {
        HeapTrimmer trimmer(0);
        trimmer.noteChurn();
        QVERIFY(!trimmer.isTrimDue());
        QCOMPARE(trimmer.trims(), quint64(0));
    }
};

QTEST_GUILESS_MAIN(TestHeapTrimmer)
#include "tst_heap_trimmer.moc"
