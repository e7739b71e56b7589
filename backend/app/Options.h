#pragma once

#include "model/PresenceTiming.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <optional>
#include <span>

namespace presence {

enum class EngineChoice { Auto, Memory, Redis };

// The command line of DESIGN.md ("Command line"); every option may also come from the
// environment as PRESENCE_<OPTION> (the command line wins).
// The most members one heartbeat entry may carry (the processors' bulk renewal size).
inline constexpr int heartbeatEntryMembersMax = 500;

struct Options {
    bool headless = false;
    QString listenHost = QStringLiteral("127.0.0.1");
    quint16 listenPort = 8080;
    // --reuse-port: SO_REUSEPORT on the listener, so several nodes on this host share the port
    // (the kernel spreads connections over them); they must share presence: Redis engine only.
    bool reusePort = false;
    EngineChoice engine = EngineChoice::Auto;
    QString redisUrl;
    QString keyPrefix; // prepended to every Redis key and stream name
    // TLS to Redis (rediss://, rediss-sentinel://): PEM files; empty: the system's CAs and no
    // client certificate.
    QString redisTlsCa;
    QString redisTlsCert;
    QString redisTlsKey;
    // HTTPS on the listener: PEM certificate (chain) and key; both empty: plain HTTP.
    QString tlsCert;
    QString tlsKey;
    PresenceTiming timing;
    QString nodeId; // empty: host:pid
    // Access control (see auth/AccessPolicy.h): secrets from files or the environment only.
    QByteArray tokenSecret;  // PRESENCE_TOKEN_SECRET or --token-secret-file
    QByteArray adminToken;   // PRESENCE_ADMIN_TOKEN or --admin-token-file
    QByteArray redisPassword; // PRESENCE_REDIS_PASSWORD or --redis-password-file: AUTH for --redis
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
    // Members per heartbeat entry the Redis engine writes; 1: the seed's one-client entries.
    int heartbeatEntryMembers = 500;
    // On a Redis Cluster: how long a node reads a shard after its last reader there left.
    qint64 shardLingerMs = 10000;
    // --observe [URL]: watch a deployment read-only, through its Redis (--redis) or through a
    // node (observeUrl, http://host:port, with adminToken); nothing listens, nothing is written.
    bool observe = false;
    QString observeUrl;
};

struct OptionsParse {
    enum class Outcome { Run, ShowHelp, ShowVersion, ShowManPage, CheckConfig, MintToken, Error };
    Outcome outcome = Outcome::Run;
    Options options;
    QString text; // help text, version, or the error
};

// One row of the command line: what --help, the man page (ManPage.h) and the parser all read,
// so the three cannot disagree. valueName is null for a switch.
struct OptionSpec {
    const char *name;
    const char *valueName;
    const char *help;
};
std::span<const OptionSpec> optionTable();
// "token-secret-file" → "PRESENCE_TOKEN_SECRET_FILE".
QString optionEnvironmentName(const char *option);

// Secrets that may also arrive as systemd credentials: $CREDENTIALS_DIRECTORY/<credential>
// is read when neither the file option nor the variable is given (LoadCredential=).
struct SecretSource {
    const char *fileOption;
    const char *variable;
    const char *credential;
};
std::span<const SecretSource> secretSources();

OptionsParse parseOptions(const QStringList &arguments, const QProcessEnvironment &environment);

// "5s", "500ms", "1.5s", "0s" → milliseconds; a bare number is refused (unit ambiguity).
std::optional<qint64> parseDuration(QStringView text);
// "HOST:PORT", "[::1]:PORT" or ":PORT" (loopback).
bool parseListenAddress(QStringView text, QString *host, quint16 *port);

// A node's address for --observe: http(s)://host[:port], no path, query or credentials.
bool checkObserveUrl(const QString &text, QString *whyNot);

QString defaultNodeId();

} // namespace presence
