#pragma once

#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QTcpSocket>

namespace presence {

using HttpStatus = QHttpServerResponder::StatusCode;
using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

// HEAD: the answers on this connection carry their headers (Content-Length included) and no
// body, until the next request says otherwise.
void markHeadOnly(QTcpSocket *socket, bool headOnly);

// Complete (non-streaming) answers. Every answer carries a Content-Length, so
// keep-alive connections stay usable, and errors are JSON: {"error": "...", "status": N}.
void replyBytes(QHttpServerResponder &responder, HttpStatus status, const QByteArray &contentType,
                const QByteArray &body, const HttpHeaders &extraHeaders = {});
void replyJson(QHttpServerResponder &responder, HttpStatus status, const QJsonValue &body,
               const HttpHeaders &extraHeaders = {});
void replyError(QHttpServerResponder &responder, HttpStatus status, const QString &message,
                const HttpHeaders &extraHeaders = {});

} // namespace presence
