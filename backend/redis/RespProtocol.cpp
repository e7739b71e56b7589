#include "redis/RespProtocol.h"

#include <hiredis/hiredis.h>

namespace presence {

void appendRespCommand(QByteArray &out, const QList<QByteArray> &argv)
{
    out += '*';
    out += QByteArray::number(argv.size());
    out += "\r\n";
    for (const QByteArray &arg : argv) {
        out += '$';
        out += QByteArray::number(arg.size());
        out += "\r\n";
        out += arg;
        out += "\r\n";
    }
}

RespReader::RespReader()
    : m_reader(redisReaderCreate())
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
    *reply = RedisReply::fromHiredis(static_cast<redisReply *>(raw));
    freeReplyObject(raw);
    return Result::Reply;
}

QString RespReader::error() const
{
    return m_reader->err ? QString::fromUtf8(m_reader->errstr) : QString();
}

void RespReader::reset()
{
    redisReaderFree(m_reader);
    m_reader = redisReaderCreate();
}

} // namespace presence
