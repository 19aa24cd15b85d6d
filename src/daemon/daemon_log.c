/* Structured log lines: one line per event, "2026-11-26T19:30:00.123Z info what k=v ...",
 * written whole with one call so lines of different moments never interleave. */
#include "daemon/daemon_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int64_t daemon_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void daemon_log(struct daemon *daemon, const char *level, const char *what, const char *format, ...)
{
    int64_t now = daemon_now_ms();
    time_t seconds = (time_t)(now / 1000);
    struct tm fields;
    gmtime_r(&seconds, &fields);
    char line[2048];
    int used = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &fields);
    used += snprintf(line + used, sizeof line - (size_t)used, ".%03dZ %s %s ", (int)(now % 1000),
                     level, what);
    va_list arguments;
    va_start(arguments, format);
    if (used < (int)sizeof line)
        vsnprintf(line + used, sizeof line - (size_t)used, format, arguments);
    va_end(arguments);
    FILE *out = daemon->options.log ? daemon->options.log : stderr;
    fprintf(out, "%s\n", line);
    fflush(out);
}
