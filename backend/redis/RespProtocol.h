#pragma once

#include "redis/RedisReply.h"

#include <QByteArray>
#include <QList>
#include <QString>

struct redisReader;

namespace presence {

// RESP2 on the wire, without a socket: commands are formatted here, replies are parsed by
// hiredis's reader (the part of hiredis the connection still uses; the transport is Qt's, so
// TLS and unix sockets share one code path).

// Appends `argv` to `out` as a RESP array of bulk strings (binary-safe).
void appendRespCommand(QByteArray &out, const QList<QByteArray> &argv);

// Turns the bytes a server sent into replies, however the bytes were split.
class RespReader {
public:
    enum class Result { Reply, NeedMore, ProtocolError };

    RespReader();
    ~RespReader();
    RespReader(const RespReader &) = delete;
    RespReader &operator=(const RespReader &) = delete;

    void feed(const char *data, qsizetype size);
    // Reply: *reply holds the next complete reply. ProtocolError: the stream is broken for
    // good (error() says why); the connection must be closed.
    Result next(RedisReply *reply);
    QString error() const;
    // Forgets buffered bytes and any error: for a new connection.
    void reset();

private:
    redisReader *m_reader = nullptr;
};

} // namespace presence
