// bench_cluster_shards: which cluster shard each bench room is in, as the product computes it.
//
//     bench_cluster_shards ROOMS [ROOM-PREFIX]   (default prefix "room-")
//
// Prints JSON {"shards": [{"tag", "slot"}…], "rooms": [{"room", "shard"}…]} for the rooms
// PREFIX0 … PREFIX(ROOMS-1), from ClusterShards with ClusterPresenceEngine's shard count, so
// bench/cluster/drain.py fills each shard's stream without a second copy of the room hash.
#include "model/RoomName.h"
#include "redis/ClusterPresenceEngine.h"
#include "redis/ClusterShards.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cstdio>

int main(int argc, char **argv)
{
    using namespace presence;
    bool ok = false;
    const int rooms = argc >= 2 ? QByteArray(argv[1]).toInt(&ok) : 0;
    if (!ok || rooms < 1 || argc > 3) {
        std::fprintf(stderr, "usage: bench_cluster_shards ROOMS [ROOM-PREFIX]\n");
        return 2;
    }
    const QString prefix = argc == 3 ? QString::fromUtf8(argv[2]) : QStringLiteral("room-");
    const ClusterShards shards(ClusterPresenceEngine::Config{}.shards);
    QJsonArray shardList, roomList;
    for (int i = 0; i < shards.count(); ++i)
        shardList.append(QJsonObject{{QStringLiteral("tag"), QString::fromUtf8(shards.tag(i))},
                                     {QStringLiteral("slot"), shards.slot(i)}});
    for (int i = 0; i < rooms; ++i) {
        QString why;
        const auto room = RoomName::fromString(prefix + QString::number(i), &why);
        if (!room) {
            std::fprintf(stderr, "bench_cluster_shards: bad room name: %s\n", qPrintable(why));
            return 2;
        }
        roomList.append(QJsonObject{{QStringLiteral("room"), room->wireName()},
                                    {QStringLiteral("shard"), shards.shardOf(*room)}});
    }
    const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("shards"), shardList},
                                                      {QStringLiteral("rooms"), roomList}})
                                .toJson(QJsonDocument::Compact);
    std::fwrite(json.constData(), 1, size_t(json.size()), stdout);
    std::fputc('\n', stdout);
    return 0;
}
