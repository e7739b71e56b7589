#pragma once

#include <QByteArray>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QList>
#include <QPair>

namespace presence {

using HttpStatus = QHttpServerResponder::StatusCode;
using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

// Complete (non-streaming) answers. Every answer carries a Content-Length, so
// keep-alive connections stay usable, and errors are JSON: {"error": "...", "status": N}.
void replyBytes(QHttpServerResponder &responder, HttpStatus status, const QByteArray &contentType,
                const QByteArray &body, const HttpHeaders &extraHeaders = {});
void replyJson(QHttpServerResponder &responder, HttpStatus status, const QJsonValue &body,
               const HttpHeaders &extraHeaders = {});
void replyError(QHttpServerResponder &responder, HttpStatus status, const QString &message,
                const HttpHeaders &extraHeaders = {});

} // namespace presence
