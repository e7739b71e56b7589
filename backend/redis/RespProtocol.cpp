#include "redis/RespProtocol.h"

#include <algorithm>
#include <charconv>
#include <hiredis/hiredis.h>

namespace presence {

void appendRespCommand(QByteArray &out, const QList<QByteArray> &argv)
{
    // Sized once and the lengths formatted in place: a call of thousands of arguments (a
    // heartbeat batch) spent a tenth of the processor's time growing this buffer and
    // allocating a QByteArray per length (perf, bench/heartbeat/drain-ab.sh).
    qsizetype size = 16;
    for (const QByteArray &arg : argv)
        size += arg.size() + 24;
    out.reserve(out.size() + size);
    char digits[24];
    const auto appendLine = [&out, &digits](char kind, qsizetype number) {
        out += kind;
        const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
        out.append(digits, end - digits);
        out.append("\r\n", 2);
    };
    appendLine('*', argv.size());
    for (const QByteArray &arg : argv) {
        appendLine('$', arg.size());
        out += arg;
        out.append("\r\n", 2);
    }
}

// hiredis's reader calls these as it parses, so each reply is built once, in place, as a
// RedisReply: converting its own reply objects afterwards (allocated, copied, freed) was a
// third of a heartbeat processor's time on a backlog of the seed's one-client entries (perf,
// bench/heartbeat/drain-ab.sh). A child lives in its parent array's element list, which is
// sized once when the array is created; only the root is allocated on its own.
struct RespReplyBuilder {
    static void *place(const redisReadTask *task, RedisReply &&value)
    {
        if (task->parent) {
            auto *parent = static_cast<RedisReply *>(task->parent->obj);
            RedisReply &slot = parent->m_elements.data()[task->idx];
            slot = std::move(value);
            return &slot;
        }
        return new RedisReply(std::move(value));
    }
    static void *createString(const redisReadTask *task, char *str, size_t len)
    {
        RedisReply reply;
        reply.m_type = task->type == REDIS_REPLY_ERROR    ? RedisReply::Type::Error
                       : task->type == REDIS_REPLY_STATUS ? RedisReply::Type::Status
                                                          : RedisReply::Type::String;
        reply.m_bytes = QByteArray(str, qsizetype(len));
        return place(task, std::move(reply));
    }
    static void *createArray(const redisReadTask *task, int elements)
    {
        RedisReply reply;
        reply.m_type = RedisReply::Type::Array;
        reply.m_elements.resize(std::max(elements, 0));
        return place(task, std::move(reply));
    }
    static void *createInteger(const redisReadTask *task, long long value)
    {
        return place(task, RedisReply::integer(value));
    }
    static void *createNil(const redisReadTask *task) { return place(task, RedisReply()); }
    static void freeObject(void *reply) { delete static_cast<RedisReply *>(reply); }
};

namespace {
redisReplyObjectFunctions replyBuilder{
    RespReplyBuilder::createString, RespReplyBuilder::createArray, RespReplyBuilder::createInteger,
    RespReplyBuilder::createNil, RespReplyBuilder::freeObject};
} // namespace

RespReader::RespReader()
    : m_reader(redisReaderCreateWithFunctions(&replyBuilder))
{
}

RespReader::~RespReader()
{
    redisReaderFree(m_reader);
}

void RespReader::feed(const char *data, qsizetype size)
{
    if (size > 0)
        redisReaderFeed(m_reader, data, static_cast<size_t>(size));
}

RespReader::Result RespReader::next(RedisReply *reply)
{
    void *raw = nullptr;
    if (redisReaderGetReply(m_reader, &raw) != REDIS_OK)
        return Result::ProtocolError;
    if (!raw)
        return Result::NeedMore;
    auto *built = static_cast<RedisReply *>(raw); // by RespReplyBuilder
    *reply = std::move(*built);
    delete built;
    return Result::Reply;
}

QString RespReader::error() const
{
    return m_reader->err ? QString::fromUtf8(m_reader->errstr) : QString();
}

void RespReader::reset()
{
    redisReaderFree(m_reader);
    m_reader = redisReaderCreateWithFunctions(&replyBuilder);
}

} // namespace presence
