/* trailhound's command line: dispatches subcommands. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"scan", scan_command, "scan CloudTrail logs once and report what the filters matched"},
    {"metrics", metrics_command,
     "query stored data points (like aws cloudwatch get-metric-statistics)"},
    {"serve", serve_command, "monitor continuously: watch directories, alarms on the clock"},
    {"notify", notify_command, "send a test message through a topic's subscriptions"},
    {"test-pattern", test_pattern_command,
     "test a filter pattern against events (like aws logs test-metric-filter)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: trailhound <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'trailhound <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("trailhound %s\n", TRAILHOUND_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) /* libcurl: the commands load it */
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "trailhound: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
