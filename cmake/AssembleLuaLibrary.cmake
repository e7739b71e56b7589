# Joins the parts of a Redis Functions library (one Lua chunk once loaded) into one file, in the
# order given; run as a build step (cmake -P) so that an edit of any part rebuilds it:
#   cmake -DOUTPUT=<file> -DPARTS=<part;part;…> -P AssembleLuaLibrary.cmake
# The first part starts with the library's "#!lua name=…" line, as Redis wants.
if(NOT OUTPUT OR NOT PARTS)
    message(FATAL_ERROR "AssembleLuaLibrary: OUTPUT and PARTS are required")
endif()
set(library "")
foreach(part IN LISTS PARTS)
    file(READ ${part} text)
    string(APPEND library "${text}")
endforeach()
string(FIND "${library}" "#!lua name=" shebang)
if(NOT shebang EQUAL 0)
    message(FATAL_ERROR "AssembleLuaLibrary: ${OUTPUT} would not start with #!lua name=…")
endif()
file(WRITE ${OUTPUT} "${library}")
