# The Redis presence engine on top of the connection layer; included by backend/CMakeLists.txt.
target_sources(presence_core PRIVATE
    redis/RedisKeys.h
    redis/StreamEntries.cpp redis/StreamEntries.h
    redis/KeyspaceFlags.cpp redis/KeyspaceFlags.h
    redis/PresenceLibrary.cpp redis/PresenceLibrary.h
    redis/HeartbeatProcessor.cpp redis/HeartbeatProcessor.h
    redis/PresenceStreamReader.cpp redis/PresenceStreamReader.h
    redis/KeyspaceListener.cpp redis/KeyspaceListener.h
    redis/RosterReply.cpp redis/RosterReply.h
    redis/DiagnosticsReply.cpp redis/DiagnosticsReply.h
    redis/TopologyReply.cpp redis/TopologyReply.h
    redis/RedisPresenceEngine.cpp redis/RedisPresenceEngine.h
    redis/RedisPresenceEngineDiagnostics.cpp
    redis/RedisPresenceEngineTimeouts.cpp
    redis/RedisPresenceEngineDownstream.cpp
    redis/SeedHeartbeatForwarder.cpp redis/SeedHeartbeatForwarder.h
    redis/ClusterPresenceEngine.cpp redis/ClusterPresenceEngine.h
    redis/ClusterPresenceEngineDiagnostics.cpp
    redis/ShardInterest.cpp redis/ShardInterest.h
    redis/EmbeddedRedis.cpp redis/EmbeddedRedis.h
)
