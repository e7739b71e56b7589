# The observer (presence --observe): watching a deployment read-only. Included by
# backend/CMakeLists.txt; paths are relative to backend/.
target_sources(presence_core PRIVATE
    observe/SseEventParser.cpp observe/SseEventParser.h
    observe/PresenceEventJson.cpp observe/PresenceEventJson.h
    observe/ObserverEngine.cpp observe/ObserverEngine.h
    observe/RedisObserverEngine.cpp observe/RedisObserverEngine.h
    observe/HttpObserverEngine.cpp observe/HttpObserverEngine.h
    observe/JsonLinesWriter.cpp observe/JsonLinesWriter.h
    observe/KeyspaceSwitch.cpp observe/KeyspaceSwitch.h
    observe/ObserverFactory.cpp observe/ObserverFactory.h
)
