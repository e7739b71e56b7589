#pragma once

#include "model/PresenceTiming.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace presence {

enum class EngineChoice { Auto, Memory, Redis };

// The command line of DESIGN.md ("Command line"); every option may also come from the
// environment as PRESENCE_<OPTION> (the command line wins).
struct Options {
    bool headless = false;
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    EngineChoice engine = EngineChoice::Auto;
    QString redisUrl;
    QString keyPrefix; // prepended to every Redis key and stream name
    PresenceTiming timing;
    QString nodeId; // empty: host:pid
    // Access control (see auth/AccessPolicy.h): secrets from files or the environment only.
    QByteArray tokenSecret;  // PRESENCE_TOKEN_SECRET or --token-secret-file
    QByteArray adminToken;   // PRESENCE_ADMIN_TOKEN or --admin-token-file
    QStringList corsOrigins; // --cors-origin a,b
    QString mintTokenFor;    // --mint-token CLIENT: print a token and exit
    qint64 tokenTtlMs = 24 * 3600 * 1000;
    // SSE keepalive period and peer timeout (RealtimeServer::Config, SseSession::Limits);
    // unset: their defaults. A silently lost client is OFFLINE within keepalive + peer
    // timeout + grace (README, "Dead and frozen connections").
    std::optional<qint64> keepaliveMs;
    std::optional<qint64> peerTimeoutMs;
    int maxSessions = 0;           // 0: the default of ConnectionLimits
    int maxSessionsPerAddress = 0; // 0: the default of ConnectionLimits
};

struct OptionsParse {
    enum class Outcome { Run, ShowHelp, ShowVersion, MintToken, Error };
    Outcome outcome = Outcome::Run;
    Options options;
    QString text; // help text, version, or the error
};

OptionsParse parseOptions(const QStringList &arguments, const QProcessEnvironment &environment);

// "5s", "500ms", "1.5s", "0s" → milliseconds; a bare number is refused (unit ambiguity).
std::optional<qint64> parseDuration(QStringView text);
// "HOST:PORT", "[::1]:PORT" or ":PORT" (loopback).
bool parseListenAddress(QStringView text, QString *host, quint16 *port);

QString defaultNodeId();

} // namespace presence
