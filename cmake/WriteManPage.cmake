# cmake -DBINARY=path/to/presence -DOUTPUT=presence.1 -P WriteManPage.cmake
# Runs `presence --help-man` into OUTPUT; fails the build when it fails or prints nothing.
set(ENV{QT_QPA_PLATFORM} offscreen)
# Sanitizer builds: a leak report at exit would fail the build for no fault of the page.
set(ENV{ASAN_OPTIONS} detect_leaks=0)
execute_process(COMMAND ${BINARY} --help-man
                OUTPUT_FILE ${OUTPUT}.tmp
                RESULT_VARIABLE result)
file(SIZE ${OUTPUT}.tmp size)
if(NOT result EQUAL 0 OR size EQUAL 0)
    file(REMOVE ${OUTPUT}.tmp)
    message(FATAL_ERROR "${BINARY} --help-man failed (${result})")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
