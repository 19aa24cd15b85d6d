/* Real receivers for the delivery tests: the HTTP receiver and the SMTP server of
 * the Python scripts beside this header, run by Debian's /usr/bin/python3 on a free port of
 * 127.0.0.1, each writing one JSON line per request or message to a log the test reads with
 * jansson. */
#ifndef TRAILHOUND_TESTS_RECEIVERS_H
#define TRAILHOUND_TESTS_RECEIVERS_H

#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECEIVERS_DIR TESTS_DATA_DIR "/../support"

extern char **environ;

struct receiver {
    pid_t pid;
    int port;
    char directory[64];
    char log_path[128];
    char base_url[64]; /* http://127.0.0.1:PORT */
};

static bool receiver_wait_for_port(struct receiver *receiver, const char *port_path)
{
    for (int i = 0; i < 400; i++) { /* 20 s: python and openssl start slowly under load */
        FILE *file = fopen(port_path, "r");
        if (file) {
            int read = fscanf(file, "%d", &receiver->port);
            fclose(file);
            if (read == 1)
                return true;
        }
        if (waitpid(receiver->pid, NULL, WNOHANG) == receiver->pid)
            return false;
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return false;
}

/* Starts `script` (a file of tests/support) with --log and --port-file plus `extra`
 * arguments (NULL-terminated, may be NULL). */
static bool receiver_start(struct receiver *receiver, const char *script, const char **extra)
{
    *receiver = (struct receiver){.pid = -1};
    snprintf(receiver->directory, sizeof receiver->directory, "/tmp/th-receiver-XXXXXX");
    if (!mkdtemp(receiver->directory))
        return false;
    char script_path[512], port_path[160];
    snprintf(script_path, sizeof script_path, "%s/%s", RECEIVERS_DIR, script);
    snprintf(receiver->log_path, sizeof receiver->log_path, "%s/log", receiver->directory);
    snprintf(port_path, sizeof port_path, "%s/port", receiver->directory);
    const char *argv[32] = {"/usr/bin/python3", script_path,   "--log",
                            receiver->log_path, "--port-file", port_path};
    size_t argc = 6;
    for (size_t i = 0; extra && extra[i] && argc < 31; i++)
        argv[argc++] = extra[i];
    if (posix_spawn(&receiver->pid, argv[0], NULL, NULL, (char **)argv, environ) != 0)
        return false;
    if (!receiver_wait_for_port(receiver, port_path))
        return false;
    snprintf(receiver->base_url, sizeof receiver->base_url, "http://127.0.0.1:%d", receiver->port);
    return true;
}

static void receiver_stop(struct receiver *receiver)
{
    if (receiver->pid > 0) {
        kill(receiver->pid, SIGTERM);
        waitpid(receiver->pid, NULL, 0);
    }
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", receiver->directory);
    if (receiver->directory[0] && system(command) != 0)
        fprintf(stderr, "could not remove %s\n", receiver->directory);
    receiver->pid = -1;
}

/* Every logged request or message, in order, as a JSON array (empty when none). */
static json_t *receiver_log(const struct receiver *receiver)
{
    json_t *entries = json_array();
    FILE *file = fopen(receiver->log_path, "r");
    if (!file)
        return entries;
    char *line = NULL;
    size_t capacity = 0;
    while (getline(&line, &capacity, file) > 0) {
        json_t *entry = json_loads(line, 0, NULL);
        if (entry)
            json_array_append_new(entries, entry);
    }
    free(line);
    fclose(file);
    return entries;
}

/* The value of header `name` (case-insensitive) of a logged entry, NULL when absent. */
static const char *receiver_header(json_t *entry, const char *name)
{
    size_t i;
    json_t *pair;
    json_array_foreach(json_object_get(entry, "headers"), i, pair)
    {
        if (strcasecmp(json_string_value(json_array_get(pair, 0)), name) == 0)
            return json_string_value(json_array_get(pair, 1));
    }
    return NULL;
}

static const char *receiver_string(json_t *entry, const char *key)
{
    return json_string_value(json_object_get(entry, key));
}

#endif
