// presence --observe --headless on a Sentinel-managed deployment (redis-sentinel://…#MASTER):
// the observer finds the primary through the Sentinels, shows a join on a node, and follows a
// failover (kill -9 of the primary) to the promoted replica, where the next join shows too.
// Real processes throughout: a primary, a replica, three Sentinels, a headless node.

#include "HttpGet.h"
#include "NodeProcess.h"
#include "ObserverProcess.h"
#include "SentinelGroup.h"
#include "SseTestClient.h"

#include <QTest>

using namespace presence;
using presence::test::NodeProcess;
using presence::test::ObserverProcess;
using presence::test::isChange;
using presence::test::SentinelGroup;
using presence::test::SseTestClient;

namespace {
constexpr int failoverMs = 20000;

} // namespace

class ObserverSentinelTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void followsTheDeploymentThroughAFailover()
    {
        QVERIFY2(QFile::exists(NodeProcess::binary()), "PRESENCE_BINARY must name the built binary");
        SentinelGroup group;
        QVERIFY2(group.start(), qPrintable(group.errorString()));
        NodeProcess node;
        QVERIFY2(node.start({QStringLiteral("--redis"), group.urlText(), QStringLiteral("--heartbeat"),
                             QStringLiteral("1s"), QStringLiteral("--grace"), QStringLiteral("0s"),
                             QStringLiteral("--node-id"), QStringLiteral("node-a")}),
                 node.log().constData());
        QVERIFY(QTest::qWaitFor([&] { return test::httpGet(node.port(), QStringLiteral("/health")).status == 200; },
                                10000));

        ObserverProcess observer;
        observer.start({QStringLiteral("--headless"), QStringLiteral("--redis"), group.urlText()});
        QVERIFY2(QTest::qWaitFor([&] { return observer.stderrText().contains("roster read"); }, 10000),
                 observer.stderrText().constData());
        SseTestClient alice;
        alice.open(node.port(), "/alice");
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("alice"), QStringLiteral("ONLINE"))),
                 observer.stderrText().constData());

        const quint16 promoted = group.replica().port();
        QVERIFY(group.killPrimary());
        QVERIFY2(group.waitForPromotion(promoted, failoverMs), qPrintable(group.errorString()));
        QVERIFY2(QTest::qWaitFor([&] { return test::httpGet(node.port(), QStringLiteral("/health")).status == 200; },
                                 15000),
                 node.log().right(3000).constData());
        // The observer re-reads the roster on the new primary, then shows what happens there.
        QVERIFY2(QTest::qWaitFor([&] { return observer.stderrText().count("roster read") >= 2; }, 15000),
                 observer.stderrText().constData());
        SseTestClient bob;
        bob.open(node.port(), "/bob");
        QVERIFY2(observer.waitForLine(isChange(QStringLiteral("bob"), QStringLiteral("ONLINE")), 15000),
                 observer.stderrText().right(3000).constData());
        bob.disconnectGracefully();
        QVERIFY(observer.waitForLine(isChange(QStringLiteral("bob"), QStringLiteral("OFFLINE")), 10000));
        QVERIFY(observer.isRunning());
        QCOMPARE(observer.listeningSockets(), QStringList());
        observer.terminate();
        QCOMPARE(observer.waitForExit(), 0);
    }
};

QTEST_GUILESS_MAIN(ObserverSentinelTest)
#include "tst_observer_sentinel.moc"
