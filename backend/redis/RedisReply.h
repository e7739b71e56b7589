#pragma once

#include <QByteArray>
#include <QDebug>
#include <QList>

struct redisReply;

namespace presence {

// One RESP2 reply, copied out of hiredis so it outlives the callback that delivered it.
// Errors the connection makes up itself (connection lost, queue full, …) are Error replies
// too, so a caller handles "Redis said no" and "Redis could not be asked" in one place.
class RedisReply {
public:
    enum class Type { Nil, Integer, String, Status, Error, Array };

    RedisReply() = default; // Nil

    static RedisReply fromHiredis(const redisReply *reply);
    static RedisReply integer(qint64 value);
    static RedisReply string(const QByteArray &bytes);
    static RedisReply status(const QByteArray &text);
    static RedisReply error(const QByteArray &message);
    static RedisReply array(QList<RedisReply> elements);

    Type type() const { return m_type; }
    bool isNil() const { return m_type == Type::Nil; }
    bool isError() const { return m_type == Type::Error; }
    bool isString() const { return m_type == Type::String; }
    bool isInteger() const { return m_type == Type::Integer; }
    bool isArray() const { return m_type == Type::Array; }
    // Status "OK", the usual answer to SET, SELECT, AUTH, …
    bool isOk() const { return m_type == Type::Status && m_bytes == "OK"; }

    // The bytes of a String, Status or Error; empty for other types.
    const QByteArray &toByteArray() const { return m_bytes; }
    // An Integer, or a String holding a decimal integer (e.g. from a Lua script or HGET).
    qint64 toInteger(bool *ok = nullptr) const;
    // The children of an Array; empty for other types.
    const QList<RedisReply> &elements() const { return m_elements; }
    // Human-readable form for logs and test failure messages, e.g. "[1, \"a\", (nil)]".
    QByteArray toDebugString() const;

    friend bool operator==(const RedisReply &, const RedisReply &) = default;

private:
    friend struct RespReplyBuilder; // RespReader builds replies in place (RespProtocol.cpp)
    Type m_type = Type::Nil;
    qint64 m_integer = 0;
    QByteArray m_bytes;
    QList<RedisReply> m_elements;
};

QDebug operator<<(QDebug debug, const RedisReply &reply);

} // namespace presence
