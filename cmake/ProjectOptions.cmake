# One INTERFACE target carries the language standard, warnings and Qt safety
# defines; every target in the project links it, so they cannot drift apart.
add_library(presence_options INTERFACE)
target_compile_features(presence_options INTERFACE cxx_std_20)
target_compile_definitions(presence_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_NO_FOREACH
    QT_NO_KEYWORDS
    QT_STRICT_ITERATORS)
target_compile_options(presence_options INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wconversion -Wno-sign-conversion)
if(PRESENCE_WARNINGS_AS_ERRORS)
    target_compile_options(presence_options INTERFACE -Werror)
endif()
if(PRESENCE_SANITIZE)
    target_compile_options(presence_options INTERFACE
        -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(presence_options INTERFACE -fsanitize=address,undefined)
endif()
# Unity builds for the libraries (presence_core, presence_ui, the test support): their sources
# compiled eight to a translation unit, so the Qt headers and the templates they instantiate
# are compiled once a batch instead of once a file. Measured here (2 cores, -O2 -g): the core's
# objects took 228 s of compile steps instead of 361. Helpers in anonymous namespaces must
# therefore have distinct names across a library (or live in a shared header).
# -DPRESENCE_UNITY_BUILD=OFF compiles file by file (to check each includes what it uses).
option(PRESENCE_UNITY_BUILD "Compile the libraries' sources in batches (faster builds)" ON)
function(presence_unity_build target)
    if(PRESENCE_UNITY_BUILD)
        set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    endif()
endfunction()

# libFuzzer builds (preset "fuzz"): everything is instrumented for coverage, the fuzz
# executables in fuzz/ add libFuzzer's main. Combine with PRESENCE_SANITIZE.
if(PRESENCE_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "PRESENCE_FUZZ needs clang (libFuzzer); use the fuzz preset")
    endif()
    target_compile_options(presence_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
