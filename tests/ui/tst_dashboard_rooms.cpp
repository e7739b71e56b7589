// Rooms on the dashboard, over a real node and real SSE connections: the room selector and
// its counts, the roster filtered to one room, a client in two rooms, crashes inside rooms,
// and the event log's room column.
#include "SseTestClient.h"
#include "UiTestBackend.h"
#include "log/EventLogModel.h"
#include "roster/RoomBar.h"
#include "roster/RoomSelector.h"
#include "roster/RosterModel.h"
#include "roster/RosterPanel.h"
#include "sim/SimulatedClientPool.h"
#include "sim/SimulationPanel.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

using namespace presence;
using namespace presence::test;

class DashboardRoomsTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<PresenceBackend> m_backend;
    std::unique_ptr<RosterModel> m_roster;
    std::unique_ptr<RosterPanel> m_rosterPanel;
    std::unique_ptr<SimulationPanel> m_simulation;

    static RoomName room(const char *name)
    {
        return *RoomName::fromString(QString::fromLatin1(name));
    }

    // The selector's rooms as the operator reads them, in order ("All rooms" left out).
    QStringList selectorRooms() const
    {
        QStringList items;
        const RoomSelector *selector = m_rosterPanel->roomChoice();
        for (int i = 1; i < selector->count(); ++i)
            items.append(selector->itemText(i));
        return items;
    }

    // The rows the roster view shows, as "client@room", sorted.
    QStringList shownRows() const
    {
        const QAbstractItemModel *shown = m_rosterPanel->view()->model();
        QStringList rows;
        for (int r = 0; r < shown->rowCount(); ++r)
            rows.append(shown->index(r, RosterModel::ClientColumn).data().toString() +
                        QLatin1Char('@') +
                        shown->index(r, RosterModel::RoomColumn).data().toString());
        rows.sort();
        return rows;
    }

    // "STATUS/reason" of the member's row, or "" when the roster has none.
    QString statusOf(const QString &client, const QString &inRoom) const
    {
        const ClientPresence *row = m_roster->find(client, inRoom);
        return row ? statusText(row->status) + QLatin1Char('/') + row->reason : QString();
    }

    // Picks the selector item reading exactly `itemText`, as an operator would; false if absent.
    bool choose(const QString &itemText)
    {
        const int index = m_rosterPanel->roomChoice()->findText(itemText);
        if (index <= 0)
            return false;
        m_rosterPanel->roomChoice()->setCurrentIndex(index);
        return true;
    }

    void spawn(int count, int rooms, const QString &pattern)
    {
        m_simulation->roomsBox()->setValue(rooms);
        m_simulation->countBox()->setValue(count);
        m_simulation->patternEdit()->setText(pattern);
        m_simulation->spawnButton()->click();
    }

private Q_SLOTS:
    void init()
    {
        QString error;
        m_backend = startBackend(uiTestOptions(), &error);
        QVERIFY2(m_backend, qPrintable(error));
        m_roster = std::make_unique<RosterModel>(m_backend->engine());
        m_roster->setRefreshInterval(100);
        m_rosterPanel = std::make_unique<RosterPanel>(*m_roster);
        m_simulation =
            std::make_unique<SimulationPanel>(m_backend->localClients(), m_backend->baseUrl());
    }
    void cleanup()
    {
        m_simulation.reset();
        m_rosterPanel.reset();
        m_roster.reset();
        m_backend.reset();
    }

    void sixClientsOverThreeRoomsFillTheSelector()
    {
        spawn(6, 3, QStringLiteral("six-{n}"));
        // Round-robin: six-1 r1, six-2 r2, six-3 r3, six-4 r1, …; nobody in the default room.
        QTRY_COMPARE_WITH_TIMEOUT(
            selectorRooms(),
            (QStringList{QStringLiteral("r1 (2)"), QStringLiteral("r2 (2)"),
                         QStringLiteral("r3 (2)"), QStringLiteral("default (0)")}),
            5000);
        QCOMPARE(m_rosterPanel->roomChoice()->itemText(0), QStringLiteral("All rooms"));
        QCOMPARE(m_backend->engine().roomSnapshot(room("r2")).size(), 2);
        QCOMPARE(shownRows().size(), 6);
        QVERIFY(m_rosterPanel->countsLabel()->text().contains(QStringLiteral("<b>6</b> online")));

        QVERIFY(choose(QStringLiteral("r2 (2)")));
        QVERIFY(m_rosterPanel->roomChoice()->currentRoom() == std::optional<RoomName>(room("r2")));
        QCOMPARE(shownRows(),
                 (QStringList{QStringLiteral("six-2@r2"), QStringLiteral("six-5@r2")}));
        QVERIFY(m_rosterPanel->countsLabel()->text().contains(QStringLiteral("<b>2</b> online")));

        // Counts follow presence; the chosen room stays chosen while the list reorders.
        m_simulation->pool().apply(SimulatedClientPool::Action::Leave, {QStringLiteral("six-3")});
        QTRY_COMPARE_WITH_TIMEOUT(
            selectorRooms(),
            (QStringList{QStringLiteral("r1 (2)"), QStringLiteral("r2 (2)"),
                         QStringLiteral("r3 (1)"), QStringLiteral("default (0)")}),
            5000);
        m_simulation->pool().spawn(2, QStringLiteral("late-{n}"), {room("r3")});
        QTRY_COMPARE_WITH_TIMEOUT(
            selectorRooms(),
            (QStringList{QStringLiteral("r3 (3)"), QStringLiteral("r1 (2)"),
                         QStringLiteral("r2 (2)"), QStringLiteral("default (0)")}),
            5000);
        QCOMPARE(m_rosterPanel->roomChoice()->currentText(), QStringLiteral("r2 (2)"));
        QCOMPARE(shownRows(),
                 (QStringList{QStringLiteral("six-2@r2"), QStringLiteral("six-5@r2")}));

        // The bar over the roster lists the same counts, busiest first, and selects on click.
        RoomBar *bar = m_rosterPanel->roomBar();
        QVERIFY(!bar->isHidden());
        const QString barText = bar->text();
        QVERIFY2(barText.indexOf(QStringLiteral(">r3</a>&nbsp;<b>3</b>")) >= 0 &&
                     barText.indexOf(QStringLiteral(">r3</a>")) <
                         barText.indexOf(QStringLiteral(">r1</a>")),
                 qPrintable(barText));
        QVERIFY2(barText.contains(QStringLiteral("<b>r2&nbsp;2</b>")),
                 qPrintable(barText));                         // the room shown
        QVERIFY(!barText.contains(QStringLiteral("default"))); // nobody there: not listed
        Q_EMIT bar->linkActivated(QStringLiteral("r3"));
        QCOMPARE(m_rosterPanel->roomChoice()->currentText(), QStringLiteral("r3 (3)"));
        QCOMPARE(shownRows().size(), 4); // six-3 (left), six-6, late-7, late-8
        m_rosterPanel->roomChoice()->selectRoom(room("r2"));

        m_rosterPanel->roomChoice()->setCurrentIndex(0);
        QCOMPARE(shownRows().size(), 8);
    }

    void clientInTwoRoomsIsTwoRows()
    {
        EventLogModel log(m_backend->engine());
        SseTestClient dual;
        dual.open(m_backend->port(), "/dual?room=a&room=b");
        QVERIFY(m_rosterPanel->roomBar()->isHidden()); // only the default room so far
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(QStringLiteral("dual"), QStringLiteral("a")),
                                  QStringLiteral("ONLINE/connected"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(QStringLiteral("dual"), QStringLiteral("b")),
                                  QStringLiteral("ONLINE/connected"), 5000);
        QCOMPARE(shownRows(), (QStringList{QStringLiteral("dual@a"), QStringLiteral("dual@b")}));
        QCOMPARE(m_roster->find(QStringLiteral("dual")), nullptr); // not in the default room
        QTRY_COMPARE_WITH_TIMEOUT(selectorRooms(),
                                  (QStringList{QStringLiteral("a (1)"), QStringLiteral("b (1)"),
                                               QStringLiteral("default (0)")}),
                                  5000);
        QVERIFY(choose(QStringLiteral("b (1)")));
        QCOMPARE(shownRows(), QStringList{QStringLiteral("dual@b")});

        // The log names the room of each transition.
        QTRY_COMPARE_WITH_TIMEOUT(log.rowCount(), 2, 5000);
        QStringList logged;
        for (int r = 0; r < log.rowCount(); ++r)
            logged.append(log.index(r, EventLogModel::ClientColumn).data().toString() +
                          QLatin1Char('@') +
                          log.index(r, EventLogModel::RoomColumn).data().toString());
        logged.sort();
        QCOMPARE(logged, (QStringList{QStringLiteral("dual@a"), QStringLiteral("dual@b")}));

        // Leaving closes both members, each on its own row.
        dual.disconnectGracefully();
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(QStringLiteral("dual"), QStringLiteral("a")),
                                  QStringLiteral("OFFLINE/left"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(QStringLiteral("dual"), QStringLiteral("b")),
                                  QStringLiteral("OFFLINE/left"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(selectorRooms(),
                                  (QStringList{QStringLiteral("default (0)"),
                                               QStringLiteral("a (0)"), QStringLiteral("b (0)")}),
                                  5000);
    }

    void crashInARoomTimesOutInThatRoom()
    {
        spawn(4, 2, QStringLiteral("cr-{n}")); // cr-1 r1, cr-2 r2, cr-3 r1, cr-4 r2
        const QStringList both =
            m_simulation->pool().spawn(1, QStringLiteral("both-{n}"), {room("r1"), room("r2")});
        QCOMPARE(both.size(), 1);
        for (const char *member : {"cr-1@r1", "cr-2@r2", "cr-3@r1", "cr-4@r2"}) {
            const QStringList parts = QString::fromLatin1(member).split(QLatin1Char('@'));
            QTRY_COMPARE_WITH_TIMEOUT(statusOf(parts[0], parts[1]),
                                      QStringLiteral("ONLINE/connected"), 5000);
        }
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(both[0], QStringLiteral("r1")),
                                  QStringLiteral("ONLINE/connected"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(both[0], QStringLiteral("r2")),
                                  QStringLiteral("ONLINE/connected"), 5000);

        // The crash names every member of the aborted connection: no room sees a clean leave.
        m_simulation->pool().apply(SimulatedClientPool::Action::Crash,
                                   {QStringLiteral("cr-2"), both[0]});
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(QStringLiteral("cr-2"), QStringLiteral("r2")),
                                  QStringLiteral("OFFLINE/timeout"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(both[0], QStringLiteral("r1")),
                                  QStringLiteral("OFFLINE/timeout"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(both[0], QStringLiteral("r2")),
                                  QStringLiteral("OFFLINE/timeout"), 5000);
        QCOMPARE(statusOf(QStringLiteral("cr-2"), QStringLiteral("r1")), QString());
        QCOMPARE(statusOf(QStringLiteral("cr-2"), QString()), QString());
        QCOMPARE(statusOf(QStringLiteral("cr-4"), QStringLiteral("r2")),
                 QStringLiteral("ONLINE/connected"));

        QVERIFY(choose(QStringLiteral("r2 (1)")));
        QCOMPARE(shownRows(), (QStringList{both[0] + QStringLiteral("@r2"),
                                           QStringLiteral("cr-2@r2"), QStringLiteral("cr-4@r2")}));
        m_rosterPanel->statusChoice()->setCurrentIndex(2); // offline only
        QCOMPARE(shownRows(),
                 (QStringList{both[0] + QStringLiteral("@r2"), QStringLiteral("cr-2@r2")}));
    }
};

QTEST_MAIN(DashboardRoomsTest)
#include "tst_dashboard_rooms.moc"
