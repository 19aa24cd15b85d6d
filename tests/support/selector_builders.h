/* Building struct selector values by hand in tests and fuzz targets:
 *   static const struct selector s[] = {SELECTOR("$.a[0]", MEMBER("a"), INDEX(0))}; */
#ifndef TRAILHOUND_TESTS_SUPPORT_SELECTOR_BUILDERS_H
#define TRAILHOUND_TESTS_SUPPORT_SELECTOR_BUILDERS_H

#include "events/event.h"

#define MEMBER(literal)                                                                            \
    {                                                                                              \
        .kind = SELECTOR_STEP_MEMBER, .name = (literal), .name_length = sizeof(literal) - 1        \
    }
#define INDEX(n)                                                                                   \
    {                                                                                              \
        .kind = SELECTOR_STEP_INDEX, .index = (n)                                                  \
    }
#define ANY_MEMBER                                                                                 \
    {                                                                                              \
        .kind = SELECTOR_STEP_ANY_MEMBER                                                           \
    }
#define ANY_INDEX                                                                                  \
    {                                                                                              \
        .kind = SELECTOR_STEP_ANY_INDEX                                                            \
    }
#define STEPS(...) ((const struct selector_step[]){__VA_ARGS__})
#define SELECTOR(selector_text, ...)                                                               \
    {                                                                                              \
        .steps = STEPS(__VA_ARGS__),                                                               \
        .step_count = sizeof(STEPS(__VA_ARGS__)) / sizeof(struct selector_step),                   \
        .text = (selector_text)                                                                    \
    }

#endif
