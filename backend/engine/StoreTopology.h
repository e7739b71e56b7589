#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace presence {

// A replica as its primary lists it (ROLE).
struct StoreReplica {
    QString address;      // host:port, as the replica announced itself
    qint64 lagBytes = -1; // the primary's replication offset minus what the replica acknowledged
    friend bool operator==(const StoreReplica &, const StoreReplica &) = default;
};

// How the store is laid out, as this node sees it: the server it talks to and that server's
// replicas (its ROLE, asked with every diagnostics read), the Sentinels the URL names and the
// one that last named the primary, and whether the connection is encrypted. What the
// dashboard's Redis panel, /api/nodes and /metrics show; empty (known false) for the memory
// engine.
struct StoreTopology {
    bool known = false;
    QString server;    // host:port (or the unix socket) this node is connected to, or tries
    QString role;      // that server's ROLE: "master", "slave", "sentinel"; empty: not read
    QString roleError; // why ROLE was not answered (a user the ACL refuses it, say)
    QList<StoreReplica> replicas; // connected to the server, when it is a primary
    QStringList sentinels;        // the URL's (host:port), in its order; empty: no Sentinel
    QString answeringSentinel;    // the one that last named the primary; empty: none yet
    bool tls = false;
    bool tlsMutual = false; // this node presents a client certificate
};

} // namespace presence
