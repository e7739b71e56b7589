#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

namespace presence::test {

struct HttpResult {
    int status = 0; // 0: no answer within the deadline (every caller's status check then fails)
    QByteArray contentType;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// One request to a server on 127.0.0.1, waited for with a deadline.
inline HttpResult httpGet(quint16 port, const QString &path, const QByteArray &verb = "GET")
{
    QNetworkAccessManager manager;
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
    QNetworkReply *reply = manager.sendCustomRequest(request, verb);
    HttpResult result;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 5000)) {
        delete reply;
        return result;
    }
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    result.body = reply->readAll();
    delete reply;
    return result;
}

} // namespace presence::test
