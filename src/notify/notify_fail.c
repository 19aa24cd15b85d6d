/* Filling a notify_error with a formatted message. */
#include "notify/notify_fail.h"

#include <stdarg.h>
#include <stdio.h>

bool notify_fail(struct notify_error *error, const char *format, ...)
{
    if (!error)
        return false;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    return false;
}
