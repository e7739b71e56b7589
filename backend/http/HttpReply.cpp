#include "HttpReply.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>

namespace presence {

namespace {
constexpr char headOnlyProperty[] = "presence.headOnly";
}

void markHeadOnly(QTcpSocket *socket, bool headOnly)
{
    // Set only when it says something: a dynamic property costs every connection that
    // carries one its own QObject extra data (heaptrack of idle SSE sessions).
    if (socket && (headOnly || socket->property(headOnlyProperty).isValid()))
        socket->setProperty(headOnlyProperty, headOnly);
}

void replyBytes(QHttpServerResponder &responder, HttpStatus status, const QByteArray &contentType,
                const QByteArray &body, const HttpHeaders &extraHeaders)
{
    responder.writeStatusLine(status);
    responder.writeHeader("Content-Type", contentType);
    responder.writeHeader("Content-Length", QByteArray::number(body.size()));
    responder.writeHeader("Cache-Control", "no-store");
    for (const auto &[name, value] : extraHeaders)
        responder.writeHeader(name, value);
    const QTcpSocket *socket = responder.socket();
    responder.writeBody(socket && socket->property(headOnlyProperty).toBool() ? QByteArray()
                                                                              : body);
}

void replyJson(QHttpServerResponder &responder, HttpStatus status, const QJsonValue &body,
               const HttpHeaders &extraHeaders)
{
    const QJsonDocument document =
        body.isArray() ? QJsonDocument(body.toArray()) : QJsonDocument(body.toObject());
    replyBytes(responder, status, "application/json",
               document.toJson(QJsonDocument::Compact) + '\n', extraHeaders);
}

void replyError(QHttpServerResponder &responder, HttpStatus status, const QString &message,
                const HttpHeaders &extraHeaders)
{
    replyJson(
        responder, status,
        QJsonObject{{QStringLiteral("error"), message}, {QStringLiteral("status"), int(status)}},
        extraHeaders);
}

} // namespace presence
