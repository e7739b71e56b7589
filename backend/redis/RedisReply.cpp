#include "redis/RedisReply.h"

#include <hiredis/hiredis.h>

namespace presence {

RedisReply RedisReply::fromHiredis(const redisReply *reply)
{
    if (!reply)
        return {};
    const auto bytes = [reply] {
        return QByteArray(reply->str, static_cast<qsizetype>(reply->len));
    };
    switch (reply->type) {
    case REDIS_REPLY_INTEGER:
        return integer(reply->integer);
    case REDIS_REPLY_STRING:
        return string(bytes());
    case REDIS_REPLY_STATUS:
        return status(bytes());
    case REDIS_REPLY_ERROR:
        return error(bytes());
    case REDIS_REPLY_ARRAY: {
        QList<RedisReply> children;
        children.reserve(static_cast<qsizetype>(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i)
            children.append(fromHiredis(reply->element[i]));
        return array(std::move(children));
    }
    case REDIS_REPLY_NIL:
    default:
        return {};
    }
}

RedisReply RedisReply::integer(qint64 value)
{
    RedisReply reply;
    reply.m_type = Type::Integer;
    reply.m_integer = value;
    return reply;
}

RedisReply RedisReply::string(const QByteArray &bytes)
{
    RedisReply reply;
    reply.m_type = Type::String;
    reply.m_bytes = bytes;
    return reply;
}

RedisReply RedisReply::status(const QByteArray &text)
{
    RedisReply reply = string(text);
    reply.m_type = Type::Status;
    return reply;
}

RedisReply RedisReply::error(const QByteArray &message)
{
    RedisReply reply = string(message);
    reply.m_type = Type::Error;
    return reply;
}

RedisReply RedisReply::array(QList<RedisReply> elements)
{
    RedisReply reply;
    reply.m_type = Type::Array;
    reply.m_elements = std::move(elements);
    return reply;
}

qint64 RedisReply::toInteger(bool *ok) const
{
    if (m_type == Type::Integer) {
        if (ok)
            *ok = true;
        return m_integer;
    }
    if (m_type == Type::String)
        return m_bytes.toLongLong(ok);
    if (ok)
        *ok = false;
    return 0;
}

QByteArray RedisReply::toDebugString() const
{
    switch (m_type) {
    case Type::Nil:
        return QByteArrayLiteral("(nil)");
    case Type::Integer:
        return QByteArray::number(m_integer);
    case Type::String:
        return '"' + m_bytes.toPercentEncoding(" !#$&'()*+,/:;=?@[]{}<>|^~") + '"';
    case Type::Status:
        return m_bytes;
    case Type::Error:
        return QByteArrayLiteral("(error) ") + m_bytes;
    case Type::Array: {
        QByteArray out = QByteArrayLiteral("[");
        for (qsizetype i = 0; i < m_elements.size(); ++i) {
            if (i > 0)
                out += ", ";
            out += m_elements[i].toDebugString();
        }
        return out + ']';
    }
    }
    return {};
}

QDebug operator<<(QDebug debug, const RedisReply &reply)
{
    const QDebugStateSaver saver(debug);
    debug.noquote() << reply.toDebugString();
    return debug;
}

} // namespace presence
