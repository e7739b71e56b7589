// Every simulation control acts on a real node and the effect shows in the roster.
#include "UiTestBackend.h"
#include "roster/RosterModel.h"
#include "sim/ChurnGenerator.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

using namespace presence;
using namespace presence::test;

class SimulationPanelTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<PresenceBackend> m_backend;
    std::unique_ptr<RosterModel> m_roster;
    std::unique_ptr<SimulationPanel> m_panel;

    int rowsWith(PresenceStatus status, const QString &reason, const QString &prefix) const
    {
        int count = 0;
        for (int r = 0; r < m_roster->rowCount(); ++r) {
            const ClientPresence *row =
                m_roster->find(m_roster->index(r, RosterModel::ClientColumn).data().toString());
            if (row && row->status == status && row->reason == reason &&
                row->client.toString().startsWith(prefix))
                ++count;
        }
        return count;
    }

    void spawn(int count, const QString &pattern)
    {
        m_panel->countBox()->setValue(count);
        m_panel->patternEdit()->setText(pattern);
        m_panel->spawnButton()->click();
    }

    void selectClients(int count)
    {
        m_panel->scopeChoice()->setCurrentIndex(0);
        QTableView *view = m_panel->view();
        view->clearSelection();
        for (int r = 0; r < count; ++r)
            view->selectionModel()->select(view->model()->index(r, 0),
                                           QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }

private Q_SLOTS:
    void init()
    {
        QString error;
        m_backend = startBackend(uiTestOptions(), &error);
        QVERIFY2(m_backend, qPrintable(error));
        m_roster = std::make_unique<RosterModel>(m_backend->engine());
        m_panel =
            std::make_unique<SimulationPanel>(m_backend->localClients(), m_backend->baseUrl());
    }
    void cleanup()
    {
        m_panel.reset();
        m_roster.reset();
        m_backend.reset();
    }

    void spawnOpensRealSseConnections()
    {
        spawn(5, QStringLiteral("sim-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("sim-")), 5, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_backend->realtime().sessionCount(), 5, 5000);
        QCOMPARE(m_panel->view()->model()->rowCount(), 5);
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("sim-1"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        // They hear about each other (the last one's snapshot lists the first four).
        QTRY_VERIFY_WITH_TIMEOUT(
            m_panel->pool().client(QStringLiteral("sim-5"))->eventsReceived() >= 4, 5000);
    }

    void crashThreeClientsEndsInThreeTimeouts()
    {
        spawn(5, QStringLiteral("crash-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("crash-")), 5, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().activeCount(), 5, 5000);
        selectClients(3);
        m_panel->actionButton(SimulatedClientPool::Action::Crash)->click();
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Offline, Reason::timeout, QStringLiteral("crash-")), 3, 5000);
        QCOMPARE(rowsWith(PresenceStatus::Offline, Reason::left, QStringLiteral("crash-")), 0);
        QCOMPARE(rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("crash-")), 2);
        QCOMPARE(m_panel->pool().client(QStringLiteral("crash-1"))->state(),
                 SimulatedClient::State::Crashed);
    }

    void leaveEndsInLeftAndReconnectKeepsOnline()
    {
        spawn(4, QStringLiteral("lr-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("lr-")), 4, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("lr-4"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        QSignalSpy changes(&m_backend->engine(), &PresenceEngine::presenceChanged);
        m_panel->scopeChoice()->setCurrentIndex(0);
        m_panel->pool().apply(SimulatedClientPool::Action::Reconnect, {QStringLiteral("lr-1")});
        selectClients(0);
        m_panel->view()->selectRow(1);
        m_panel->actionButton(SimulatedClientPool::Action::Leave)->click();
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Offline, Reason::left, QStringLiteral("lr-")), 1, 5000);
        QCOMPARE(m_roster->find(QStringLiteral("lr-2"))->status, PresenceStatus::Offline);
        // lr-1 reconnected within the grace period: no transition at all.
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("lr-1"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        QTest::qWait(600); // longer than the grace (300 ms): a flap would have happened by now
        for (const QList<QVariant> &change : std::as_const(changes))
            QVERIFY(change.first().value<PresenceEvent>().client.toString() != u"lr-1");
        QCOMPARE(m_roster->find(QStringLiteral("lr-1"))->status, PresenceStatus::Online);
    }

    void freezeKeepsTheConnectionOpen()
    {
        spawn(2, QStringLiteral("fz-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("fz-2"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("fz-1"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        m_panel->scopeChoice()->setCurrentIndex(1);
        m_panel->shareBox()->setValue(50);
        m_panel->actionButton(SimulatedClientPool::Action::Freeze)->click();
        int frozen = 0;
        for (SimulatedClient *client : m_panel->pool().clients())
            frozen += client->state() == SimulatedClient::State::Frozen ? 1 : 0;
        QCOMPARE(frozen, 1);
        // A frozen client is still connected and heartbeated: it stays ONLINE past the TTL.
        QTest::qWait(600);
        QCOMPARE(rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("fz-")), 2);
    }

    void aFrozenClientEndsOfflineOnceItsWindowShuts()
    {
        spawn(2, QStringLiteral("fo-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(m_panel->pool().client(QStringLiteral("fo-2"))->state(),
                                  SimulatedClient::State::Streaming, 5000);
        m_panel->pool().apply(SimulatedClientPool::Action::Freeze, {QStringLiteral("fo-1")});
        QCOMPARE(m_panel->pool().client(QStringLiteral("fo-1"))->state(),
                 SimulatedClient::State::Frozen);
        // Traffic in its room (others coming and going on this node) fills its few KiB of
        // buffers; then its window stays shut and the node drops it after the peer timeout.
        int n = 0;
        QTimer traffic;
        connect(&traffic, &QTimer::timeout, this, [&] {
            const RoomMember other{RoomName{},
                                   *ClientId::fromString(QStringLiteral("fx-%1").arg(n++ % 50))};
            if (m_backend->localClients().connections(other) > 0)
                m_backend->localClients().close(other);
            else
                m_backend->localClients().open(other);
        });
        traffic.start(20);
        QTRY_VERIFY_WITH_TIMEOUT(m_roster->find(QStringLiteral("fo-1")) &&
                                     m_roster->find(QStringLiteral("fo-1"))->status ==
                                         PresenceStatus::Offline,
                                 30000);
        traffic.stop();
        QCOMPARE(m_roster->find(QStringLiteral("fo-1"))->reason, QStringLiteral("left"));
        QCOMPARE(m_roster->find(QStringLiteral("fo-2"))->status, PresenceStatus::Online);
        QVERIFY(m_backend->metrics().sessionsDroppedStalledReader +
                    m_backend->metrics().sessionsDroppedDeadPeer >=
                1);
    }

    void pausingHeartbeatsTimesEveryoneOut()
    {
        spawn(3, QStringLiteral("hb-{n}"));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("hb-")), 3, 5000);
        m_panel->heartbeatButton()->click();
        QVERIFY(m_backend->localClients().heartbeatsPaused());
        QCOMPARE(m_panel->heartbeatButton()->text(), QStringLiteral("Resume heartbeats"));
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Offline, Reason::timeout, QStringLiteral("hb-")), 3, 5000);
        // Their connections are still open: resuming brings them back with reason "heartbeat".
        m_panel->heartbeatButton()->click();
        QVERIFY(!m_backend->localClients().heartbeatsPaused());
        QTRY_COMPARE_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::heartbeat, QStringLiteral("hb-")), 3, 5000);
    }

    void churnGeneratorJoinsAndLeaves()
    {
        m_panel->patternEdit()->setText(QStringLiteral("ch-{n}"));
        m_panel->joinsBox()->setValue(20);
        m_panel->leavesBox()->setValue(10);
        m_panel->churnButton()->click();
        QVERIFY(m_panel->churn().isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Online, Reason::connected, QStringLiteral("churn-ch-")) >= 5,
            5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            rowsWith(PresenceStatus::Offline, Reason::left, QStringLiteral("churn-ch-")) >= 2,
            5000);
        m_panel->churnButton()->click();
        QVERIFY(!m_panel->churn().isRunning());
    }

    void anotherNodeByUrl()
    {
        // A second node in this process stands in for "another node": its roster sees them.
        QString error;
        Options options = uiTestOptions();
        options.nodeId = QStringLiteral("other");
        auto other = startBackend(options, &error);
        QVERIFY2(other, qPrintable(error));
        m_panel->targetChoice()->setCurrentIndex(1);
        m_panel->urlEdit()->setText(other->baseUrl());
        spawn(2, QStringLiteral("remote-{n}"));
        RosterModel remoteRoster(other->engine());
        QTRY_COMPARE_WITH_TIMEOUT(remoteRoster.counts().online, 2, 5000);
        QCOMPARE(m_roster->find(QStringLiteral("remote-1")), nullptr);
        m_panel->pool().leaveAll();
        QTRY_COMPARE_WITH_TIMEOUT(remoteRoster.counts().offline, 2, 5000);
    }
};

QTEST_MAIN(SimulationPanelTest)
#include "tst_simulation_panel.moc"
