#pragma once

// tst_chaos's test class: tst_chaos.cpp runs it and checks the views (its header comment says
// what the test does), ChaosFaults.cpp holds the clients' comings and goings, the silent cut
// of the namespace's link and the lagging processor.
#include "ChaosHeldHeartbeats.h"
#include "ChaosHistory.h"
#include "ChaosRedis.h"
#include "NodeProcess.h"
#include "SseTestClient.h"
#include "TestNamespace.h"

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QRandomGenerator>
#include <memory>
#include <vector>

namespace presence::test {

namespace chaos {
inline constexpr int nodeCount = 3;
inline constexpr int clientCount = 12;
inline const QString heartbeat = QStringLiteral("300ms"); // ttl 450 ms
inline constexpr qint64 ttlMs = 450;
inline const QString otherHeartbeat = QStringLiteral("700ms"); // the last node's: ttl 1,050 ms
// A cut-off client is dropped within keepalive + peer timeout (+ grace, 0 here).
inline constexpr qint64 keepaliveMs = 500;
inline constexpr qint64 peerTimeoutMs = 1000;

inline const QStringList allRooms = {QStringLiteral("default"), QStringLiteral("ra"),
                                     QStringLiteral("rb")};

struct SimClient {
    QString name;
    QStringList rooms;
    bool remote = false; // in the test namespace (curl there), else a SseTestClient here
    std::unique_ptr<SseTestClient> connection;
    std::unique_ptr<QProcess> curl;
    int node = -1; // which node it is connected to, -1: none
    QByteArray path() const
    {
        QByteArray path = "/" + name.toUtf8();
        for (qsizetype i = 0; i < rooms.size(); ++i)
            path += (i == 0 ? "?room=" : "&room=") + rooms[i].toUtf8();
        return path;
    }
};

// Which Redis the run is on: PRESENCE_CHAOS_CLUSTER=1, PRESENCE_CHAOS_SENTINEL=1, else one server.
ChaosRedis::Kind redisKind();
// Kills the process (a curl) and waits for it, if there is one.
void stopProcess(std::unique_ptr<QProcess> &process);
} // namespace chaos

class TestChaos : public QObject {
    Q_OBJECT

    ChaosRedis m_redis{chaos::redisKind()};
    TestNamespace m_namespace;
    QString m_host; // where the nodes listen: the namespace's link, reachable from both sides
    std::unique_ptr<NodeProcess> m_nodes[chaos::nodeCount];
    std::vector<chaos::SimClient> m_clients;
    QRandomGenerator m_random;
    QElapsedTimer m_sinceCut;            // valid while the namespace's link is down
    std::vector<std::unique_ptr<QProcess>> m_cutOff; // their curl, killed once they were dropped
    QStringList m_cutMembers; // store keys ("room/client") of the clients cut off last
    int m_heavyFaultsAtCut = 0;
    qint64 m_cutHealMs = -1; // the timed cut: from the cut to every member OFFLINE in Redis
    qint64 m_elapsedMs = 0, m_runMs = 0; // how far the run is
    ChaosHistory m_history;              // for reports
    int m_kills = 0, m_joins = 0, m_leaves = 0, m_nodePauses = 0, m_cuts = 0, m_clientsCut = 0,
        m_lags = 0, m_heldHeartbeats = 0;

    // Starts node `index` ("chaos-<index>") on the run's Redis, listening on the namespace's link.
    bool startNode(int index);
    QString url(int node, const chaos::SimClient &client) const
    {
        return QStringLiteral("http://%1:%2%3")
            .arg(m_host)
            .arg(m_nodes[node]->port())
            .arg(QString::fromUtf8(client.path()));
    }
    bool linkIsCut() const { return m_sinceCut.isValid(); }
    void join(chaos::SimClient &client);
    void leave(chaos::SimClient &client);
    // The namespace's link goes down: its clients vanish without a word, and must go OFFLINE
    // once their nodes notice (keepalive + peer timeout).
    void cutTheLink();
    // Whether every member of the clients cut off last is OFFLINE in Redis' roster.
    bool cutClientsAreOffline();
    int heavyFaults() const { return m_kills + m_nodePauses + m_redis.faults(); }
    // Once the nodes must have dropped them, the cut-off curls go and the link comes back
    // (before, their kernel's FIN would have told the nodes after all). With no fault since
    // the cut that could hold a leave back, they must be OFFLINE by then.
    void restoreTheLinkWhenDropped();
    // The heartbeats node `index`'s processor was handed and has not acknowledged (on a
    // cluster: its processors of the rooms' shards).
    QList<HeldHeartbeat> heldBy(int index);
    // Whether `member` ("room/client") is connected, through another node than `exceptNode`.
    bool heldElsewhere(const QString &member, int exceptNode) const;
    // A client connected here (not cut off) through another node than `exceptNode`, or null.
    const chaos::SimClient *steadyElsewhere(int exceptNode) const;
    // The seed's kind of heartbeat for `client` in its first room (it is connected: a renewal),
    // written by the test into that room's heartbeat stream.
    void writeHeartbeat(const chaos::SimClient &client);
    // A lagging processor: node P stopped for less than the TTL, so heartbeats Redis handed its
    // processor sit unread. Each belongs to a member held by another node; none of them may
    // time out before that heartbeat's own TTL runs out. `forced` (no lag caught one yet, and
    // the run is half over): the test writes heartbeats too, one every 30 ms, for a member
    // another node holds; a blocked read is served oldest first, so within a few of them one
    // goes to the stopped processor, whatever the nodes' own heartbeats did meanwhile.
    void lagAProcessor(bool forced = false);
    // One random move: a join, a leave, a node killed -9 or paused past its TTL, a processor
    // lag, a cut of the link, or a Redis fault (ChaosRedis: restart, hang, primary killed).
    void step();
    // Whether the timed cut or a lag that held heartbeats is due (ensureEachFaultHappened).
    bool forcedFaultDue() const;
    // Every run, however short, cuts remote clients that were ONLINE (once timed) and catches a
    // processor holding heartbeats: the CI variant must exercise both. A Sentinel or cluster run
    // kills a primary at least twice besides: after a sixth and after 60 % of the run.
    void ensureEachFaultHappened(qint64 elapsedMs, qint64 runMs);
    // The quick comebacks the clients still connected were told of (see ChaosHistory), and,
    // when one was the flap, the nodes' logs (of their current lives) as evidence.
    ChaosHistory::Comebacks reportQuickComebacks(quint32 seed);

private Q_SLOTS:
    void cleanup();
    void viewsConvergeToTheTruth();
};

} // namespace presence::test
