/* libFuzzer target: the query protocol's form parser and its JSON shape (api_form_parse,
 * api_form_to_json). Any bytes: a parse either fails leaving nothing allocated or gives
 * fields without NUL bytes, whose JSON shape is an object without nulls. */
#include "api/api_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_form form;
    if (!api_form_parse((const char *)data, size, &form)) {
        if (form.count != 0 || form.fields != NULL)
            __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < form.count; i++) {
        if (!form.fields[i].name || !form.fields[i].value)
            __builtin_trap();
        if (api_form_get(&form, form.fields[i].name) == NULL)
            __builtin_trap();
    }
    json_t *shape = api_form_to_json(&form);
    if (shape && !json_is_object(shape))
        __builtin_trap();
    json_decref(shape);
    api_form_free(&form);
    return 0;
}
