/* cli: the subcommands of the trailhound binary. Each takes its own argv (argv[0] is the
 * command name) and returns the process exit status. */
#ifndef TRAILHOUND_CLI_COMMANDS_H
#define TRAILHOUND_CLI_COMMANDS_H

#define TRAILHOUND_VERSION "0.1.0"

int test_pattern_command(int argc, char **argv);
int scan_command(int argc, char **argv);
int metrics_command(int argc, char **argv);
int notify_command(int argc, char **argv);
int serve_command(int argc, char **argv);

#endif
