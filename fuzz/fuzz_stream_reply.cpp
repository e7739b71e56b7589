// Everything read from Redis: RESP bytes through hiredis's reader (as the connection does),
// RedisReply::fromHiredis, then the stream-entry and roster parsers on the result.
#include "FuzzCheck.h"
#include "model/ClientId.h"
#include "redis/RedisReply.h"
#include "redis/RosterReply.h"
#include "redis/StreamEntries.h"

#include <QList>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <hiredis/hiredis.h>
#include <memory>

using namespace presence;

namespace {
// hiredis 0.14 allocates an array's element table as soon as it reads "*<count>", before any
// element arrives; a huge count is its allocation, not ours, and Redis is a trusted peer.
// Inputs declaring more than this many elements are skipped so libFuzzer's malloc limit does
// not report hiredis.
constexpr long long maxDeclaredElements = 1 << 16;

bool declaresHugeArray(const char *data, size_t size)
{
    for (size_t i = 0; i + 1 < size; ++i) {
        if (data[i] != '*')
            continue;
        long long count = 0;
        for (size_t j = i + 1; j < size && data[j] >= '0' && data[j] <= '9'; ++j) {
            count = count * 10 + (data[j] - '0');
            if (count > maxDeclaredElements)
                return true;
        }
    }
    return false;
}

void checkEntries(const QList<StreamEntry> &entries)
{
    for (const StreamEntry &entry : entries) {
        FUZZ_CHECK(EventId::parse(entry.rawId) == entry.id);
        QString whyNot;
        if (const auto heartbeat = parseHeartbeat(entry, &whyNot)) {
            FUZZ_CHECK(ClientId::fromString(heartbeat->client.toString()).has_value());
            FUZZ_CHECK(heartbeat->atMs == qint64(entry.id.ms));
        } else {
            FUZZ_CHECK(!whyNot.isEmpty());
        }
        whyNot.clear();
        if (const auto event = parsePresenceEntry(entry, &whyNot)) {
            FUZZ_CHECK(ClientId::fromString(event->client.toString()).has_value());
            FUZZ_CHECK(event->id == entry.id);
            FUZZ_CHECK(event->reason.size() <= 64 && event->node.size() <= 256);
        } else {
            FUZZ_CHECK(!whyNot.isEmpty());
        }
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto *bytes = reinterpret_cast<const char *>(data);
    if (declaresHugeArray(bytes, size))
        return 0;
    const std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                          &redisReaderFree);
    if (redisReaderFeed(reader.get(), bytes, size) != REDIS_OK)
        return 0;
    QList<RedisReply> replies;
    for (;;) {
        void *raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || !raw)
            break;
        replies.append(RedisReply::fromHiredis(static_cast<const redisReply *>(raw)));
        freeReplyObject(raw);
    }

    for (const RedisReply &reply : replies) {
        (void)reply.toDebugString();
        int malformed = 0;
        const auto entries = parseStreamEntries(reply, &malformed);
        FUZZ_CHECK(entries.size() + malformed == reply.elements().size());
        checkEntries(entries);
        malformed = 0;
        checkEntries(parseStreamRead(reply, &malformed));
    }

    // The roster is four replies of one pipeline; take them in order, reusing when short.
    if (!replies.isEmpty()) {
        const auto pick = [&replies](qsizetype i) {
            return replies[std::min(i, replies.size() - 1)];
        };
        const RosterReply roster{pick(0), pick(1), pick(2), pick(3)};
        const auto rows = roster.rows(7500);
        for (qsizetype i = 0; i < rows.size(); ++i) {
            FUZZ_CHECK(rows[i].connections >= 0); // junk counts (negative, text) count as none
            FUZZ_CHECK(ClientId::fromString(rows[i].client.toString()).has_value());
            // Sorted by room, then client (members "room/client" come from any Redis writer).
            FUZZ_CHECK(i == 0 || !(rows[i].member() < rows[i - 1].member()));
            FUZZ_CHECK(RoomMember::fromStoreKey(rows[i].member().storeKey()) == rows[i].member());
        }
    }
    return 0;
}
