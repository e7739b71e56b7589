#pragma once

#include <cstdio>

// A property every input must keep. On violation: say which, then trap, so libFuzzer saves the
// input as a crash (a plain assert would vanish under NDEBUG).
#define FUZZ_CHECK(condition)                                                                  \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__,        \
                         #condition);                                                          \
            __builtin_trap();                                                                  \
        }                                                                                      \
    } while (false)
