// The roster and event log models follow a real node's events (SSE connections over TCP).
#include "SseTestClient.h"
#include "UiTestBackend.h"
#include "log/EventLogModel.h"
#include "log/EventLogPanel.h"
#include "roster/RosterFilterModel.h"
#include "roster/RosterModel.h"
#include "roster/RosterPanel.h"

#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace presence;
using namespace presence::test;

class RosterLogModelsTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<PresenceBackend> m_backend;

    ClientPresence row(const RosterModel &model, const QString &client)
    {
        const ClientPresence *found = model.find(client);
        return found ? *found : ClientPresence{};
    }
    static QString statusOf(const RosterModel &model, const QString &client)
    {
        const ClientPresence *found = model.find(client);
        return found ? statusText(found->status) + QLatin1Char('/') + found->reason : QString();
    }

    static int rowOf(const RosterModel &model, const QString &client)
    {
        for (int r = 0; r < model.rowCount(); ++r) {
            if (model.index(r, RosterModel::ClientColumn).data().toString() == client)
                return r;
        }
        return -1;
    }

private Q_SLOTS:
    void init()
    {
        QString error;
        m_backend = startBackend(uiTestOptions(), &error);
        QVERIFY2(m_backend, qPrintable(error));
    }
    void cleanup() { m_backend.reset(); }

    void rosterFollowsConnectionsAndLeaves()
    {
        RosterModel model(m_backend->engine());
        model.setRefreshInterval(100);
        SseTestClient alice, bob;
        alice.open(m_backend->port(), "/alice");
        bob.open(m_backend->port(), "/bob");
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("alice")), QStringLiteral("ONLINE/connected"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("bob")), QStringLiteral("ONLINE/connected"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.counts().online, 2, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.counts().connections, 2, 5000);
        const ClientPresence online = row(model, QStringLiteral("alice"));
        QCOMPARE(online.nodes, QStringList{QStringLiteral("ui-test")});
        QVERIFY(online.deadlineMs > 0);
        // The TTL column counts down in seconds.
        const int aliceRow = rowOf(model, QStringLiteral("alice"));
        QVERIFY(aliceRow >= 0);
        QVERIFY(model.index(aliceRow, RosterModel::TtlLeftColumn).data().toString().endsWith(QStringLiteral(" s")));
        QCOMPARE(model.index(aliceRow, RosterModel::StatusColumn).data().toString(), QStringLiteral("ONLINE"));
        QVERIFY(!model.index(aliceRow, RosterModel::StatusColumn).data(Qt::DecorationRole).isNull());

        alice.disconnectGracefully();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("alice")), QStringLiteral("OFFLINE/left"), 5000);
        QCOMPARE(model.counts().online, 1);
        QCOMPARE(model.counts().offline, 1);
        QCOMPARE(model.index(aliceRow, RosterModel::TtlLeftColumn).data().toString(), QStringLiteral("—"));
    }

    void pausedHeartbeatsTimeOutAndReportLateness()
    {
        RosterModel model(m_backend->engine());
        model.setRefreshInterval(50);
        QSignalSpy lateness(&model, &RosterModel::timeoutDetected);
        SseTestClient carol;
        carol.open(m_backend->port(), "/carol");
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("carol")), QStringLiteral("ONLINE/connected"), 5000);
        m_backend->localClients().setHeartbeatsPaused(true);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("carol")), QStringLiteral("OFFLINE/timeout"), 5000);
        QCOMPARE(lateness.size(), 1);
        const qint64 late = lateness.first().first().toLongLong();
        QVERIFY2(late >= 0 && late < 2000, qPrintable(QString::number(late)));
    }

    void filterBySubstringAndStatus()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        for (const char *name : {"anna", "annabel", "zed"})
            m_backend->localClients().open(*ClientId::fromString(QString::fromLatin1(name)));
        m_backend->localClients().close(*ClientId::fromString(QStringLiteral("zed")));
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(model, QStringLiteral("zed")), QStringLiteral("OFFLINE/left"), 5000);
        QAbstractItemModel *shown = panel.view()->model();
        QCOMPARE(shown->rowCount(), 3);
        QTest::keyClicks(panel.filterEdit(), QStringLiteral("ANNA"));
        QCOMPARE(shown->rowCount(), 2);
        panel.filterEdit()->clear();
        panel.proxy().setStatusFilter(RosterFilterModel::StatusFilter::Offline);
        QCOMPARE(shown->rowCount(), 1);
        QCOMPARE(shown->index(0, 0).data().toString(), QStringLiteral("zed"));
        QVERIFY(panel.countsLabel()->text().contains(QStringLiteral("<b>2</b> online")));
    }

    void tenThousandClientsArriveInBatches()
    {
        RosterModel model(m_backend->engine());
        QSignalSpy inserts(&model, &RosterModel::rowsInserted);
        for (int i = 0; i < 10000; ++i)
            m_backend->localClients().open(*ClientId::fromString(QStringLiteral("load-%1").arg(i)));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 10000, 10000);
        QCOMPARE(model.counts().online, 10000);
        QVERIFY2(inserts.size() <= 3, qPrintable(QString::number(inserts.size())));
    }

    void logShowsEventsNewestFirstAndPauses()
    {
        EventLogModel model(m_backend->engine(), 5);
        EventLogPanel panel(model);
        LocalClients &clients = m_backend->localClients();
        clients.open(*ClientId::fromString(QStringLiteral("one")));
        clients.open(*ClientId::fromString(QStringLiteral("two")));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 5000);
        QCOMPARE(model.index(0, EventLogModel::ClientColumn).data().toString(), QStringLiteral("two"));
        QCOMPARE(model.index(0, EventLogModel::StatusColumn).data().toString(), QStringLiteral("ONLINE"));
        QCOMPARE(model.index(0, EventLogModel::ReasonColumn).data().toString(), QStringLiteral("connected"));
        QVERIFY(EventId::parse(model.index(0, EventLogModel::IdColumn).data().toString().toLatin1()));
        // The clock time in the column, the date and how long ago in its tooltip.
        const QString when =
            model.index(0, EventLogModel::TimeColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(when.endsWith(QStringLiteral(" ago)")) || when.endsWith(QStringLiteral("(now)")),
                 qPrintable(when));

        panel.pauseButton()->click();
        QVERIFY(model.isPaused());
        clients.open(*ClientId::fromString(QStringLiteral("three")));
        QTRY_COMPARE_WITH_TIMEOUT(model.heldCount(), 1, 5000);
        QCOMPARE(model.rowCount(), 2);
        panel.pauseButton()->click();
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, EventLogModel::ClientColumn).data().toString(), QStringLiteral("three"));

        // Bounded: the oldest rows go.
        for (const char *name : {"four", "five", "six", "seven"})
            clients.open(*ClientId::fromString(QString::fromLatin1(name)));
        QTRY_COMPARE_WITH_TIMEOUT(model.index(0, EventLogModel::ClientColumn).data().toString(),
                                  QStringLiteral("seven"), 5000);
        QCOMPARE(model.rowCount(), 5);

        panel.view()->selectRow(0);
        const QString copied = panel.copySelection();
        QVERIFY(copied.startsWith(QStringLiteral("Entry id\tTime\tClient")));
        QVERIFY(copied.contains(QStringLiteral("\tseven\tdefault\tONLINE\tconnected\t")));
        QCOMPARE(QApplication::clipboard()->text(), copied);
    }
};

QTEST_MAIN(RosterLogModelsTest)
#include "tst_roster_log_models.moc"
