/* application/x-www-form-urlencoded: the query protocol's bodies and the callback URLs'
 * query strings. '+' is a space, %XX a byte; NUL bytes are refused. */
#include "api/api_internal.h"
#include "base/text.h"

#include <stdlib.h>
#include <string.h>

/* Decodes [text, text+length) into a new string; NULL on a bad escape, NUL or no memory. */
static char *form_decode(const char *text, size_t length)
{
    char *out = malloc(length + 1);
    if (!out)
        return NULL;
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= length) {
                free(out);
                return NULL;
            }
            int high = hex_digit_value(text[i + 1]);
            int low = hex_digit_value(text[i + 2]);
            if (high < 0 || low < 0) {
                free(out);
                return NULL;
            }
            c = (char)(high * 16 + low);
            i += 2;
        }
        if (c == '\0') {
            free(out);
            return NULL;
        }
        out[used++] = c;
    }
    out[used] = '\0';
    return out;
}

static bool form_add(struct api_form *form, const char *pair, size_t length)
{
    if (length == 0)
        return true;
    if (form->count >= API_MAX_FORM_FIELDS)
        return false;
    const char *equals = memchr(pair, '=', length);
    size_t name_length = equals ? (size_t)(equals - pair) : length;
    char *name = form_decode(pair, name_length);
    char *value = equals ? form_decode(equals + 1, length - name_length - 1) : form_decode("", 0);
    struct api_form_field *grown =
        name && value ? realloc(form->fields, (form->count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(name);
        free(value);
        return false;
    }
    form->fields = grown;
    form->fields[form->count++] = (struct api_form_field){name, value};
    return true;
}

bool api_form_parse(const char *text, size_t length, struct api_form *form)
{
    *form = (struct api_form){0};
    size_t start = 0;
    for (size_t i = 0; i <= length; i++) {
        if (i < length && text[i] != '&')
            continue;
        if (!form_add(form, text + start, i - start)) {
            api_form_free(form);
            return false;
        }
        start = i + 1;
    }
    return true;
}

void api_form_free(struct api_form *form)
{
    for (size_t i = 0; i < form->count; i++) {
        free(form->fields[i].name);
        free(form->fields[i].value);
    }
    free(form->fields);
    *form = (struct api_form){0};
}

const char *api_form_get(const struct api_form *form, const char *name)
{
    for (size_t i = form->count; i > 0; i--) {
        if (strcmp(form->fields[i - 1].name, name) == 0)
            return form->fields[i - 1].value;
    }
    return NULL;
}
