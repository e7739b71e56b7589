#include "SimulatedClientPool.h"

#include "model/ClientId.h"

#include <algorithm>

namespace presence {

namespace {
constexpr qsizetype endedKept = 1000; // ended clients listed before the oldest are forgotten
}

SimulatedClientPool::SimulatedClientPool(QObject *parent)
    : QObject(parent)
    , m_random(QRandomGenerator::securelySeeded())
{
}

SimulatedClientPool::~SimulatedClientPool()
{
    // Children are deleted by QObject; disconnect first so no signal reaches a half-gone pool.
    for (SimulatedClient *client : std::as_const(m_clients))
        client->disconnect(this);
}

void SimulatedClientPool::setTarget(const QUrl &base, bool thisNode)
{
    m_target = base;
    m_targetIsThisNode = thisNode;
}

QList<RoomName> SimulatedClientPool::spreadRooms(int count)
{
    if (count <= 1)
        return {RoomName{}};
    QList<RoomName> rooms;
    rooms.reserve(count);
    for (int i = 1; i <= count; ++i)
        rooms.append(*RoomName::fromString(QStringLiteral("r%1").arg(i)));
    return rooms;
}

void SimulatedClientPool::setRoomCount(int count)
{
    m_roomCount = std::max(count, 1);
    m_spread = spreadRooms(m_roomCount);
    m_nextRoom = 0;
}

QStringList SimulatedClientPool::spawn(int count, const QString &pattern, const QList<RoomName> &rooms)
{
    QString shape = pattern.trimmed().isEmpty() ? QStringLiteral("sim-{n}") : pattern.trimmed();
    if (!shape.contains(QLatin1String("{n}")))
        shape += QLatin1String("-{n}");
    QStringList names;
    // Bounded: a pattern whose names are all invalid or taken must not loop forever.
    for (int attempts = 0; names.size() < count && attempts < count * 4 + 100; ++attempts) {
        QString name = shape;
        name.replace(QLatin1String("{n}"), QString::number(m_nextNumber++));
        if (!ClientId::fromString(name))
            continue;
        if (SimulatedClient *existing = m_byName.value(name)) {
            if (existing->isActive())
                continue;
            remove(existing);
        }
        QList<RoomName> joins = rooms;
        if (joins.isEmpty()) {
            joins = {m_spread[m_nextRoom]};
            m_nextRoom = (m_nextRoom + 1) % m_spread.size();
        }
        auto *client = new SimulatedClient(name, m_target, m_targetIsThisNode, joins, this);
        connect(client, &SimulatedClient::stateChanged, this, &SimulatedClientPool::onStateChanged);
        m_clients.append(client);
        m_byName.insert(name, client);
        Q_EMIT clientAdded(client);
        client->start();
        names.append(name);
    }
    return names;
}

void SimulatedClientPool::apply(Action action, const QStringList &names)
{
    for (const QString &name : names) {
        if (SimulatedClient *client = m_byName.value(name))
            perform(client, action);
    }
}

QStringList SimulatedClientPool::applyToShare(Action action, double share)
{
    QList<SimulatedClient *> candidates;
    for (SimulatedClient *client : std::as_const(m_clients)) {
        const bool eligible = action == Action::Freeze
                                  ? client->state() == SimulatedClient::State::Streaming
                                  : client->isActive();
        if (eligible)
            candidates.append(client);
    }
    if (candidates.isEmpty() || share <= 0)
        return {};
    const qsizetype wanted = std::clamp<qsizetype>(
        qsizetype(std::llround(double(candidates.size()) * std::min(share, 1.0))), 1,
        candidates.size());
    std::shuffle(candidates.begin(), candidates.end(), m_random);
    candidates.resize(wanted);
    QStringList names;
    for (SimulatedClient *client : std::as_const(candidates)) {
        names.append(client->name());
        perform(client, action);
    }
    return names;
}

void SimulatedClientPool::perform(SimulatedClient *client, Action action)
{
    switch (action) {
    case Action::Leave:
        client->leave();
        break;
    case Action::Crash:
        if (!client->isActive())
            return;
        if (client->targetsThisNode() && m_crashHook)
            m_crashHook(client->name(), client->rooms());
        client->crash();
        break;
    case Action::Freeze:
        client->freeze();
        break;
    case Action::Reconnect:
        client->reconnect();
        break;
    }
}

int SimulatedClientPool::activeCount() const
{
    return int(std::count_if(m_clients.cbegin(), m_clients.cend(),
                             [](const SimulatedClient *client) { return client->isActive(); }));
}

void SimulatedClientPool::onStateChanged(SimulatedClient *client)
{
    Q_EMIT clientChanged(client);
    if (client->isActive())
        return;
    m_ended.push_back(client);
    while (qsizetype(m_ended.size()) > endedKept)
        remove(m_ended.front());
}

void SimulatedClientPool::remove(SimulatedClient *client)
{
    const auto ended = std::find(m_ended.begin(), m_ended.end(), client);
    if (ended != m_ended.end())
        m_ended.erase(ended);
    Q_EMIT clientAboutToBeRemoved(client);
    m_clients.removeOne(client);
    m_byName.remove(client->name());
    client->disconnect(this);
    client->deleteLater();
}

void SimulatedClientPool::removeEnded()
{
    const std::deque<SimulatedClient *> ended = m_ended;
    for (SimulatedClient *client : ended)
        remove(client);
}

void SimulatedClientPool::leaveAll()
{
    for (SimulatedClient *client : std::as_const(m_clients))
        client->leave();
}

} // namespace presence
