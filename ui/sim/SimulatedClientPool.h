#pragma once

#include "SimulatedClient.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QUrl>

#include <deque>
#include <functional>

namespace presence {

// The simulated clients of the dashboard: spawns them from a name pattern against a target
// node, spread over K rooms, applies drop-outs to named clients or to a random share of the
// active ones, and keeps a bounded number of ended ones around so the table shows what
// happened to them.
class SimulatedClientPool final : public QObject {
    Q_OBJECT
public:
    enum class Action { Leave, Crash, Freeze, Reconnect };
    Q_ENUM(Action)
    // The client's name and the rooms its connection joined.
    using CrashHook = std::function<void(const QString &client, const QList<RoomName> &rooms)>;

    explicit SimulatedClientPool(QObject *parent = nullptr);
    ~SimulatedClientPool() override;

    // Where new clients connect; `thisNode` marks the in-process node.
    void setTarget(const QUrl &base, bool thisNode);
    const QUrl &target() const { return m_target; }
    bool targetIsThisNode() const { return m_targetIsThisNode; }

    // Called with the client's name and rooms just before a client of the in-process node crashes.
    // The server cannot tell an aborted TCP connection from a clean close (both are a
    // disconnect to it), so without this a "crash" would look like a clean leave; the hook
    // lets the node treat it as the crash it simulates (LocalClients::markCrashed).
    void setCrashHook(CrashHook hook) { m_crashHook = std::move(hook); }

    // New clients are spread round-robin over `count` rooms r1…rK; 1 (the default) puts them
    // all in the default room, as the seed's clients were. Changing it restarts at r1.
    void setRoomCount(int count);
    int roomCount() const { return m_roomCount; }
    // The rooms of setRoomCount(`count`): r1…rK, or just the default room.
    static QList<RoomName> spreadRooms(int count);

    // Starts `count` clients named after `pattern`: "{n}" is replaced by a running number
    // (appended as "-{n}" when missing). Names already active are skipped. Each joins the next
    // room of the spread, or every room of `rooms` when given. Returns the names.
    QStringList spawn(int count, const QString &pattern, const QList<RoomName> &rooms = {});
    void apply(Action action, const QStringList &names);
    // Applies `action` to a random `share` (0..1, at least one when share > 0) of the active
    // clients that the action can change; returns their names.
    QStringList applyToShare(Action action, double share);

    QList<SimulatedClient *> clients() const { return m_clients; }
    SimulatedClient *client(const QString &name) const { return m_byName.value(name); }
    int activeCount() const;
    // Forgets every client that ended (left, crashed, failed).
    void removeEnded();
    // Ends every client cleanly.
    void leaveAll();

Q_SIGNALS:
    void clientAdded(presence::SimulatedClient *client);
    void clientChanged(presence::SimulatedClient *client);
    void clientAboutToBeRemoved(presence::SimulatedClient *client);

private:
    void perform(SimulatedClient *client, Action action);
    void onStateChanged(SimulatedClient *client);
    void remove(SimulatedClient *client);

    QUrl m_target;
    bool m_targetIsThisNode = false;
    CrashHook m_crashHook;
    QList<SimulatedClient *> m_clients;
    QHash<QString, SimulatedClient *> m_byName;
    std::deque<SimulatedClient *> m_ended; // oldest first
    quint64 m_nextNumber = 1;
    int m_roomCount = 1;
    QList<RoomName> m_spread{RoomName{}};
    qsizetype m_nextRoom = 0; // index into m_spread of the next client's room
    QRandomGenerator m_random;
};

} // namespace presence
