# The Redis connection layer; included by backend/CMakeLists.txt. Paths are relative to backend/.
target_sources(presence_core PRIVATE
    redis/RedisUrl.cpp redis/RedisUrl.h
    redis/RedisReply.cpp redis/RedisReply.h
    redis/RespProtocol.cpp redis/RespProtocol.h
    redis/RedisTls.cpp redis/RedisTls.h
    redis/RedisSocket.cpp redis/RedisSocket.h
    redis/PrimaryLocator.h
    redis/SentinelPrimary.cpp redis/SentinelPrimary.h
    redis/SocketKeepAlive.cpp redis/SocketKeepAlive.h
    redis/RedisConnection.cpp redis/RedisConnection.h
    redis/RedisConnectionSubscriptions.cpp
    redis/RedisConnectionRedirects.cpp
    redis/ClusterKeySlot.cpp redis/ClusterKeySlot.h
    redis/ClusterRedirect.cpp redis/ClusterRedirect.h
    redis/ClusterSlotMap.cpp redis/ClusterSlotMap.h
    redis/RedisCluster.cpp redis/RedisCluster.h
    redis/ClusterShards.cpp redis/ClusterShards.h
    redis/ClusterSubscriber.cpp redis/ClusterSubscriber.h
    redis/ClusterSlotOwner.cpp redis/ClusterSlotOwner.h
    redis/ClusterProbe.cpp redis/ClusterProbe.h
)
