// TestChaos's faults (ChaosTest.h): clients joining and leaving, the namespace's link cut
// silently and restored, a heartbeat processor lagging with heartbeats it was handed.
#include "ChaosTest.h"
#include "ChaosViews.h"

#include <QDateTime>
#include <QTest>
#include <csignal>

namespace presence::test {

using namespace chaos;

void chaos::stopProcess(std::unique_ptr<QProcess> &process)
{
    if (!process)
        return;
    process->kill();
    process->waitForFinished(3000);
    process.reset();
}

void TestChaos::join(SimClient &client)
{
    if (client.node >= 0 || (client.remote && linkIsCut()))
        return;
    const int node = int(m_random.bounded(quint32(nodeCount)));
    if (client.remote) {
        client.curl = std::make_unique<QProcess>();
        client.curl->setStandardOutputFile(QProcess::nullDevice());
        client.curl->setStandardErrorFile(QProcess::nullDevice());
        const QStringList command =
            m_namespace.wrap({QStringLiteral("curl"), QStringLiteral("-sN"), url(node, client)});
        client.curl->start(command.first(), command.mid(1));
    } else {
        client.connection = std::make_unique<SseTestClient>();
        client.connection->openAt(m_host, m_nodes[node]->port(), client.path());
    }
    client.node = node;
    m_history.connected(client.name, node);
    ++m_joins;
}

void TestChaos::leave(SimClient &client)
{
    if (client.node < 0)
        return;
    if (client.remote) {
        client.curl->terminate(); // curl exits, its kernel closes the stream (FIN)
        client.curl->waitForFinished(3000);
        client.curl.reset();
    } else {
        client.connection->disconnectGracefully();
    }
    client.node = -1;
    m_history.disconnected(client.name);
    ++m_leaves;
}

// The namespace's link goes down: its clients vanish without a word, and must go OFFLINE
// once their nodes notice (keepalive + peer timeout).
void TestChaos::cutTheLink()
{
    if (linkIsCut())
        return;
    QVERIFY2(m_namespace.cut(), qPrintable(m_namespace.errorString()));
    m_sinceCut.start();
    m_history.mark(QStringLiteral("link cut"));
    // A failover under way holds every leave back until the nodes are on the new primary.
    m_heavyFaultsAtCut = m_redis.failoverUnderWay() ? -1 : heavyFaults();
    m_cutMembers.clear();
    for (SimClient &c : m_clients) {
        if (c.remote && c.node >= 0) {
            c.node = -1;
            m_history.disconnected(c.name);
            m_cutOff.push_back(std::move(c.curl));
            ++m_clientsCut;
            for (const QString &room : std::as_const(c.rooms))
                m_cutMembers.append(room == u"default" ? c.name : room + u'/' + c.name);
        }
    }
    ++m_cuts;
}

// Whether every member of the clients cut off last is OFFLINE in Redis' roster.
bool TestChaos::cutClientsAreOffline()
{
    for (const QString &member : std::as_const(m_cutMembers)) {
        const QString room =
            member.contains(u'/') ? member.section(u'/', 0, 0) : QStringLiteral("default");
        if (m_redis.ask({"HGET", m_redis.keysOf(room).status(), member.toUtf8()})
                .toByteArray() == "ONLINE")
            return false;
    }
    return true;
}

// Once the nodes must have dropped them, the cut-off curls go and the link comes back
// (before, their kernel's FIN would have told the nodes after all). With no fault since
// the cut that could hold a leave back, they must be OFFLINE by then.
void TestChaos::restoreTheLinkWhenDropped()
{
    if (!linkIsCut() || m_sinceCut.elapsed() < keepaliveMs + peerTimeoutMs + 2000)
        return;
    if (heavyFaults() == m_heavyFaultsAtCut)
        QVERIFY2(cutClientsAreOffline(),
                 qPrintable(QStringLiteral("cut-off members still ONLINE %1 ms after the cut: %2")
                                .arg(m_sinceCut.elapsed())
                                .arg(m_cutMembers.join(u' '))));
    for (auto &curl : m_cutOff)
        stopProcess(curl);
    m_cutOff.clear();
    QVERIFY2(m_namespace.restore(), qPrintable(m_namespace.errorString()));
    m_sinceCut.invalidate();
}

// The heartbeats node `index`'s processor was handed and has not acknowledged (on a
// cluster: its processors of the rooms' shards).
QList<HeldHeartbeat> TestChaos::heldBy(int index)
{
    return heartbeatsHeldBy(m_redis, "chaos-" + QByteArray::number(index), allRooms, ttlMs);
}

// Whether `member` ("room/client") is connected, through another node than `exceptNode`.
bool TestChaos::heldElsewhere(const QString &member, int exceptNode) const
{
    for (const SimClient &c : m_clients) {
        if (c.node >= 0 && c.node != exceptNode && member.section(u'/', 1) == c.name &&
            c.rooms.contains(member.section(u'/', 0, 0)))
            return true;
    }
    return false;
}

// A client connected here (not cut off) through another node than `exceptNode`, or null.
const SimClient *TestChaos::steadyElsewhere(int exceptNode) const
{
    for (const SimClient &c : m_clients) {
        if (c.node >= 0 && c.node != exceptNode && !c.remote)
            return &c;
    }
    return nullptr;
}

// The seed's kind of heartbeat for `client` in its first room (it is connected: a renewal),
// written by the test into that room's heartbeat stream.
void TestChaos::writeHeartbeat(const SimClient &client)
{
    const QString room = client.rooms.value(0, QStringLiteral("default"));
    QList<QByteArray> add{"XADD", m_redis.keysOf(room).heartbeatStream(), "*", "client",
                          client.name.toUtf8(), "ttl", QByteArray::number(ttlMs)};
    if (room != u"default")
        add << "room" << room.toUtf8();
    m_redis.ask(add);
}

// A lagging processor: node P stopped for less than the TTL, so heartbeats Redis handed its
// processor sit unread. Each belongs to a member held by another node; none of them may
// time out before that heartbeat's own TTL runs out. `forced` (no lag caught one yet, and
// the run is half over): the test writes heartbeats too, one every 30 ms, for a member
// another node holds; a blocked read is served oldest first, so within a few of them one
// goes to the stopped processor, whatever the nodes' own heartbeats did meanwhile.
void TestChaos::lagAProcessor(bool forced)
{
    if (m_redis.failoverUnderWay())
        return; // the nodes are between primaries: nothing is processed anyway
    const int paused = int(m_random.bounded(quint32(nodeCount)));
    const int watchedOn = (paused + 1 + int(m_random.bounded(2u))) % nodeCount;
    SseTestClient watcher;
    watcher.openAt(m_host, m_nodes[watchedOn]->port(), "/lagwatch?room=default&room=ra&room=rb");
    if (!watcher.waitForHeaders(3000))
        return; // that node is not serving yet (restarted, reconnecting): another time
    const qint64 pauseMs = 250 + qint64(m_random.bounded(150u)); // < the TTL, 450 ms
    QElapsedTimer pausedFor;
    m_nodes[paused]->signal(SIGSTOP);
    pausedFor.start();
    const qint64 lagFrom = ChaosHistory::nowMs();
    m_history.mark(QStringLiteral("chaos-%1 (its processor) lags").arg(paused));
    QList<HeldHeartbeat> held;
    const SimClient *subject = forced ? steadyElsewhere(paused) : nullptr;
    QElapsedTimer sinceWrite;
    // Found or not, the pause lasts pauseMs (nothing held: a lag that caught nothing).
    [[maybe_unused]] const bool caught = QTest::qWaitFor(
        [&] {
            if (subject && (!sinceWrite.isValid() || sinceWrite.elapsed() >= 30)) {
                writeHeartbeat(*subject);
                sinceWrite.start();
            }
            return !(held = heldBy(paused)).isEmpty();
        },
        int(pauseMs));
    QTest::qWait(int(std::max<qint64>(pauseMs - pausedFor.elapsed(), 0)));
    m_nodes[paused]->signal(SIGCONT);
    m_history.nodeFaultEnded(paused, lagFrom);
    ++m_lags;
    held.removeIf([&](const HeldHeartbeat &h) { return !heldElsewhere(h.member, paused); });
    if (held.isEmpty())
        return;
    m_heldHeartbeats += int(held.size());
    qint64 until = 0;
    for (const HeldHeartbeat &h : std::as_const(held))
        until = std::max(until, h.writtenMs + h.ttlMs);
    // Until every one of those heartbeats' TTL ran out (and a little for the last event to
    // arrive), nothing else happens: a timeout in that window is the processor's lag.
    QVERIFY(QTest::qWaitFor(
        [&] { return QDateTime::currentMSecsSinceEpoch() > until + 300; }, 3000));
    for (const auto &event : watcher.events()) {
        const QJsonObject json = event.json();
        if (json.value(QStringLiteral("reason")).toString() != u"timeout")
            continue;
        for (const HeldHeartbeat &h : std::as_const(held)) {
            const qint64 at = presence::test::idMs(event.id);
            QVERIFY2(presence::test::memberOf(json) != h.member || at <= h.writtenMs ||
                         at >= h.writtenMs + h.ttlMs,
                     qPrintable(QStringLiteral("%1 timed out %2 ms after a heartbeat (ttl %3 "
                                               "ms) that chaos-%4's lagging processor held")
                                    .arg(h.member)
                                    .arg(at - h.writtenMs)
                                    .arg(h.ttlMs)
                                    .arg(paused)));
        }
    }
}

} // namespace presence::test
