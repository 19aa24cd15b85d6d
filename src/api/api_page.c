/* Paging by position, for listings the store gives whole (ListTopics, ListMetrics): the
 * token is the index of the first item of the next page, as DescribeAlarms' is. A listing
 * that changes between two pages may skip or repeat an item, as AWS's may. */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The index a token names; false when it is not a decimal number. */
static bool token_index(const char *token, size_t *index)
{
    if (!token) {
        *index = 0;
        return true;
    }
    if (token[0] < '0' || token[0] > '9')
        return false;
    char *end = NULL;
    unsigned long long value = strtoull(token, &end, 10);
    if (*end || value > SIZE_MAX)
        return false;
    *index = (size_t)value;
    return true;
}

bool api_page(struct api_call *call, json_t *all, size_t page_size, const char *list_name,
              const char *invalid_token_code, json_t *output)
{
    size_t start;
    if (!token_index(api_input_string(call->input, "NextToken"), &start)) {
        api_fail(call, 400, invalid_token_code, "The NextToken is not one this service gave.");
        return false;
    }
    json_t *slice = json_array();
    size_t total = json_array_size(all);
    for (size_t i = start; slice && i < total && i - start < page_size; i++)
        json_array_append(slice, json_array_get(all, i));
    if (!slice || json_object_set_new(output, list_name, slice) != 0) {
        api_fail_internal(call, "out of memory");
        return false;
    }
    if (start < total && total - start > page_size) {
        char next[32];
        snprintf(next, sizeof next, "%zu", start + page_size);
        json_object_set_new(output, "NextToken", json_string(next));
    }
    return true;
}
