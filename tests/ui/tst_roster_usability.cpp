// What operators tripped over in the roster (issue 15, item 7): names in natural order, counts
// that say what the filter leaves, a hint for members in their grace period, relative times,
// empty rooms that drop out, room lists that hold still under the pointer, round axis ticks.
// Over a real node (memory engine) driven through the engine's interface, no SSE needed.
#include "RelativeTime.h"
#include "UiTestBackend.h"
#include "charts/AxisTicks.h"
#include "roster/NaturalOrder.h"
#include "roster/RoomBar.h"
#include "roster/RoomSelector.h"
#include "roster/RosterFilterModel.h"
#include "roster/RosterModel.h"
#include "roster/RosterPanel.h"

#include <QApplication>
#include <QDateTime>
#include <QEnterEvent>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QTest>

using namespace presence;
using namespace presence::test;

class RosterUsabilityTest : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<PresenceBackend> m_backend;

    static RoomMember member(const QString &room, const QString &client)
    {
        return RoomMember{room.isEmpty() ? RoomName{} : *RoomName::fromString(room),
                          *ClientId::fromString(client)};
    }
    void join(const QString &room, const QString &client)
    {
        m_backend->engine().setConnections(member(room, client), 1);
    }
    void leave(const QString &room, const QString &client)
    {
        m_backend->engine().setConnections(member(room, client), 0);
        m_backend->engine().leave(member(room, client));
    }
    static QStringList column(const QAbstractItemModel &model, int column)
    {
        QStringList values;
        for (int r = 0; r < model.rowCount(); ++r)
            values.append(model.index(r, column).data().toString());
        return values;
    }
    // The rooms in the bar's text, in the order shown.
    static QStringList barRooms(const RoomBar &bar)
    {
        QStringList rooms;
        const QString text = bar.text();
        for (const QString &name :
             {QStringLiteral("ra"), QStringLiteral("rb"), QStringLiteral("rc")}) {
            if (text.contains(QStringLiteral(">%1</a>").arg(name)))
                rooms.append(name);
        }
        std::sort(rooms.begin(), rooms.end(), [&text](const QString &a, const QString &b) {
            return text.indexOf(QStringLiteral(">%1</a>").arg(a)) <
                   text.indexOf(QStringLiteral(">%1</a>").arg(b));
        });
        return rooms;
    }
    static QStringList selectorItems(const RoomSelector &selector)
    {
        QStringList items;
        for (int i = 1; i < selector.count(); ++i)
            items.append(selector.itemText(i));
        return items;
    }

private Q_SLOTS:
    void init()
    {
        Options options = uiTestOptions();
        // Members joined through the engine get no heartbeats: a TTL long enough that nobody
        // times out during a test, and a grace long enough to watch.
        options.timing.heartbeatMs = 60000;
        options.timing.graceMs = 30000;
        QString error;
        m_backend = startBackend(options, &error);
        QVERIFY2(m_backend, qPrintable(error));
    }
    void cleanup() { m_backend.reset(); }

    void naturalCompareReadsNumbersAsNumbers()
    {
        QVERIFY(naturalLess(u"sim-2", u"sim-10"));
        QVERIFY(!naturalLess(u"sim-10", u"sim-2"));
        QVERIFY(naturalLess(u"sim-9", u"sim-10"));
        QVERIFY(naturalLess(u"a", u"B")); // case does not come first
        QVERIFY(naturalLess(u"r2-x", u"r10"));
        QVERIFY(naturalLess(u"sim-1", u"sim-1a"));
        QCOMPARE(naturalCompare(u"Sim-7", u"Sim-7"), 0);
        QVERIFY(naturalCompare(u"sim-07", u"sim-7") != 0); // total: equal only when equal
        QVERIFY(naturalLess(u"x99999999999999999999", u"x100000000000000000000")); // no overflow
    }

    void rosterSortsClientNamesNaturally()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        for (const char *name : {"sim-10", "sim-2", "sim-1", "Sim-3", "sim-20"})
            join({}, QString::fromLatin1(name));
        model.flush();
        const QAbstractItemModel &shown = *panel.view()->model();
        QCOMPARE(
            column(shown, RosterModel::ClientColumn),
            (QStringList{QStringLiteral("sim-1"), QStringLiteral("sim-2"), QStringLiteral("Sim-3"),
                         QStringLiteral("sim-10"), QStringLiteral("sim-20")}));
        // Ties on another column fall back to the client, naturally too.
        panel.view()->sortByColumn(RosterModel::StatusColumn, Qt::AscendingOrder);
        QCOMPARE(column(shown, RosterModel::ClientColumn).first(), QStringLiteral("sim-1"));
        QCOMPARE(column(shown, RosterModel::ClientColumn).last(), QStringLiteral("sim-20"));
    }

    void countsSayHowManyRowsTheFilterLeaves()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        for (int i = 1; i <= 12; ++i)
            join({}, QStringLiteral("sim-%1").arg(i));
        model.refresh(); // events, then connections (synchronous on the memory engine)
        QVERIFY2(!panel.countsLabel()->text().contains(QStringLiteral("shown")),
                 qPrintable(panel.countsLabel()->text()));
        panel.filterEdit()->setText(QStringLiteral("sim-1"));
        // sim-1, sim-10, sim-11, sim-12
        QVERIFY2(panel.countsLabel()->text().contains(QStringLiteral("<b>4</b> of 12 shown")),
                 qPrintable(panel.countsLabel()->text()));
        panel.filterEdit()->clear();
        panel.proxy().setStatusFilter(RosterFilterModel::StatusFilter::Offline);
        QVERIFY2(panel.countsLabel()->text().contains(QStringLiteral("<b>0</b> of 12 shown")),
                 qPrintable(panel.countsLabel()->text()));
        // The roster's figure is connections over every node, not the SSE streams of this one.
        QVERIFY2(panel.countsLabel()->text().contains(QStringLiteral("<b>12</b> connections")),
                 qPrintable(panel.countsLabel()->text()));
        QVERIFY(!panel.countsLabel()->text().contains(QStringLiteral("sessions")));
    }

    void aMemberInItsGracePeriodSaysSo()
    {
        RosterModel model(m_backend->engine());
        const RoomMember alice = member({}, QStringLiteral("alice"));
        m_backend->localClients().open(alice);
        model.flush();
        model.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(model.find(alice) ? model.find(alice)->connections : -1, 1, 5000);
        const QModelIndex ttl = model.index(0, RosterModel::TtlLeftColumn);
        QVERIFY(!ttl.data().toString().startsWith(QStringLiteral("in grace")));

        m_backend->localClients().close(alice); // the grace period (30 s) starts
        model.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(model.find(alice)->connections, 0, 5000);
        QCOMPARE(statusText(model.find(alice)->status), QStringLiteral("ONLINE"));
        const QString hint = ttl.data().toString();
        QVERIFY2(hint.startsWith(QStringLiteral("in grace ")) &&
                     hint.endsWith(QStringLiteral(" s")),
                 qPrintable(hint));
        const double left = hint.mid(9).chopped(2).toDouble();
        QVERIFY2(left > 20.0 && left <= 30.0, qPrintable(hint));
        QVERIFY(model.index(0, RosterModel::ConnectionsColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("grace period")));

        // It reopens: no hint any more.
        m_backend->localClients().open(alice);
        model.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(model.find(alice)->connections, 1, 5000);
        QVERIFY(!ttl.data().toString().startsWith(QStringLiteral("in grace")));
    }

    void timesAreRelativeWithTheClockTimeInATooltip()
    {
        const qint64 now = 1'700'000'000'000;
        QCOMPARE(relativeTime(0, now), QStringLiteral("—"));
        QCOMPARE(relativeTime(now - 400, now), QStringLiteral("now"));
        QCOMPARE(relativeTime(now + 2000, now), QStringLiteral("now")); // another node's clock
        QCOMPARE(relativeTime(now - 12'500, now), QStringLiteral("12 s ago"));
        QCOMPARE(relativeTime(now - 3 * 60'000 - 5'000, now), QStringLiteral("3 min ago"));
        QCOMPARE(relativeTime(now - 2 * 3'600'000, now), QStringLiteral("2 h ago"));
        QCOMPARE(relativeTime(now - 2 * 3'600'000 - 5 * 60'000, now),
                 QStringLiteral("2 h 5 min ago"));
        QCOMPARE(relativeTime(now - 4 * 86'400'000, now), QStringLiteral("4 d ago"));

        RosterModel model(m_backend->engine());
        join({}, QStringLiteral("alice"));
        model.flush();
        const QModelIndex since = model.index(0, RosterModel::SinceColumn);
        const QString shown = since.data().toString();
        QVERIFY2(shown == QStringLiteral("now") || shown.endsWith(QStringLiteral(" s ago")),
                 qPrintable(shown));
        const QString tip = since.data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(
                     QDateTime::fromMSecsSinceEpoch(model.find(QStringLiteral("alice"))->sinceMs)
                         .toString(QStringLiteral("yyyy"))),
                 qPrintable(tip));
        // Sorting stays by time, not by the text.
        QCOMPARE(since.data(RosterModel::SortRole).toLongLong(),
                 model.find(QStringLiteral("alice"))->sinceMs);
    }

    void emptyRoomsDropOutOfTheSelector()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        join(QStringLiteral("ra"), QStringLiteral("alice"));
        join(QStringLiteral("rb"), QStringLiteral("bob"));
        model.flush();
        QCOMPARE(selectorItems(*panel.roomChoice()),
                 (QStringList{QStringLiteral("ra (1)"), QStringLiteral("rb (1)"),
                              QStringLiteral("default (0)")}));
        leave(QStringLiteral("rb"), QStringLiteral("bob"));
        model.flush();
        // Just emptied: still listed for a while (the default linger is a minute).
        QCOMPARE(selectorItems(*panel.roomChoice()),
                 (QStringList{QStringLiteral("ra (1)"), QStringLiteral("default (0)"),
                              QStringLiteral("rb (0)")}));
        model.setEmptyRoomLinger(0);
        QCOMPARE(selectorItems(*panel.roomChoice()),
                 (QStringList{QStringLiteral("ra (1)"), QStringLiteral("default (0)")}));
        // bob's OFFLINE row is still in the table under "All rooms".
        QCOMPARE(panel.view()->model()->rowCount(), 2);

        // A chosen room stays chosen (and listed) when it empties.
        QVERIFY(panel.roomChoice()->selectRoom(*RoomName::fromString(QStringLiteral("ra"))));
        leave(QStringLiteral("ra"), QStringLiteral("alice"));
        model.flush();
        QCOMPARE(panel.roomChoice()->currentText(), QStringLiteral("ra (0)"));
    }

    void theRoomBarHoldsStillUnderThePointer()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        RoomBar &bar = *panel.roomBar();
        join(QStringLiteral("ra"), QStringLiteral("a1"));
        join(QStringLiteral("rb"), QStringLiteral("b1"));
        join(QStringLiteral("rb"), QStringLiteral("b2"));
        model.flush();
        QCOMPARE(barRooms(bar), (QStringList{QStringLiteral("rb"), QStringLiteral("ra")}));

        QEnterEvent enter(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5));
        QApplication::sendEvent(&bar, &enter);
        join(QStringLiteral("ra"), QStringLiteral("a2"));
        join(QStringLiteral("ra"), QStringLiteral("a3"));
        join(QStringLiteral("rc"), QStringLiteral("c1"));
        model.flush();
        // ra is busiest now, yet under the pointer nothing moves; its count does, rc goes last.
        QCOMPARE(barRooms(bar),
                 (QStringList{QStringLiteral("rb"), QStringLiteral("ra"), QStringLiteral("rc")}));
        QVERIFY2(bar.text().contains(QStringLiteral(">ra</a>&nbsp;<b>3</b>")),
                 qPrintable(bar.text()));

        QEvent left(QEvent::Leave);
        QApplication::sendEvent(&bar, &left);
        QCOMPARE(barRooms(bar),
                 (QStringList{QStringLiteral("ra"), QStringLiteral("rb"), QStringLiteral("rc")}));
    }

    void theOpenRoomListHoldsStill()
    {
        RosterModel model(m_backend->engine());
        RosterPanel panel(model);
        panel.show();
        RoomSelector &selector = *panel.roomChoice();
        join(QStringLiteral("ra"), QStringLiteral("a1"));
        join(QStringLiteral("rb"), QStringLiteral("b1"));
        join(QStringLiteral("rb"), QStringLiteral("b2"));
        model.flush();
        QCOMPARE(selectorItems(selector),
                 (QStringList{QStringLiteral("rb (2)"), QStringLiteral("ra (1)"),
                              QStringLiteral("default (0)")}));

        selector.showPopup();
        QVERIFY(selector.holdsOrder());
        join(QStringLiteral("ra"), QStringLiteral("a2"));
        join(QStringLiteral("ra"), QStringLiteral("a3"));
        join(QStringLiteral("rc"), QStringLiteral("c1"));
        model.flush();
        QCOMPARE(selectorItems(selector),
                 (QStringList{QStringLiteral("rb (2)"), QStringLiteral("ra (3)"),
                              QStringLiteral("default (0)"), QStringLiteral("rc (1)")}));

        // Picking the row aimed at (ra, second) while the list is open selects ra.
        selector.setCurrentIndex(2);
        selector.hidePopup();
        QVERIFY(selector.currentRoom() ==
                std::optional<RoomName>(*RoomName::fromString(QStringLiteral("ra"))));
        QTRY_COMPARE(selectorItems(selector),
                     (QStringList{QStringLiteral("ra (3)"), QStringLiteral("rb (2)"),
                                  QStringLiteral("rc (1)"), QStringLiteral("default (0)")}));
        QCOMPARE(selector.currentText(), QStringLiteral("ra (3)"));
    }

    void chartAxesHaveRoundTicksBetweenZeroAndTheTop()
    {
        const AxisScale people = niceScale(146);
        QCOMPARE(people.step, 50.0);
        QCOMPARE(people.top, 150.0);
        QCOMPARE(people.ticks(), (QList<double>{0, 50, 100, 150}));
        QCOMPARE(people.label(100), QStringLiteral("100"));

        const AxisScale rate = niceScale(0.35);
        QCOMPARE(rate.step, 0.1);
        QCOMPARE(rate.ticks().size(), 5); // 0 … 0.4
        QCOMPARE(rate.label(0.2), QStringLiteral("0.2"));

        const AxisScale few = niceScale(3, 4, true); // counts never step by halves
        QCOMPARE(few.step, 1.0);
        QCOMPARE(few.top, 3.0);

        const AxisScale none = niceScale(0);
        QCOMPARE(none.ticks(), (QList<double>{0, 1}));
        QCOMPARE(niceScale(200).top, 200.0); // an exact peak is its own top
    }
};

QTEST_MAIN(RosterUsabilityTest)
#include "tst_roster_usability.moc"
