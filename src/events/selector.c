/* Comparing selectors, so readers resolve each distinct path once. */
#include "events/event.h"

#include <string.h>

bool selector_equal(const struct selector *a, const struct selector *b)
{
    if (a->step_count != b->step_count)
        return false;
    for (size_t i = 0; i < a->step_count; i++) {
        const struct selector_step *left = &a->steps[i], *right = &b->steps[i];
        if (left->kind != right->kind || left->index != right->index ||
            left->name_length != right->name_length)
            return false;
        if (left->name_length && memcmp(left->name, right->name, left->name_length) != 0)
            return false;
    }
    return true;
}
