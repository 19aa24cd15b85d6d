/* exec deliveries: the endpoint is a command line, run as `/bin/sh -c ENDPOINT` in a
 * process group of its own, with the message on standard input and TRAILHOUND_SUBJECT,
 * TRAILHOUND_MESSAGE_ID and TRAILHOUND_TOPIC_ARN in its environment (removed when the
 * delivery has no value, so inherited ones cannot mislead). Standard output and error are
 * captured together; their first 400 bytes go into the detail.
 *
 * Exit 0 is delivered; 75 (EX_TEMPFAIL, sysexits.h) asks for a retry; at the timeout the
 * whole process group is killed and the attempt retried; any other exit status, or death
 * by a signal we did not send, is permanent: the command said no. */
#define _GNU_SOURCE /* pipe2 */
#include "notify/notify_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
    EXEC_TEMPFAIL = 75,
    EXEC_OUTPUT_SHOWN = 400,
    EXEC_TICK_MS = 20, /* how often a silent child is checked for exit */
    EXEC_DRAIN_LIMIT = 64 * 1024,
};

static const char *const exec_variables[] = {"TRAILHOUND_SUBJECT", "TRAILHOUND_MESSAGE_ID",
                                             "TRAILHOUND_TOPIC_ARN"};
#define EXEC_VARIABLE_COUNT (sizeof exec_variables / sizeof exec_variables[0])

struct exec_environment {
    char **entries;                   /* borrowed from environ, plus `owned` */
    char *owned[EXEC_VARIABLE_COUNT]; /* "NAME=value" */
};

struct exec_session {
    pid_t pid;
    int input_fd, output_fd;
    const char *input;
    size_t input_length, written;
    char output[EXEC_OUTPUT_SHOWN];
    size_t output_length;
    int status;
    bool timed_out;
};

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool is_exec_variable(const char *entry)
{
    for (size_t i = 0; i < EXEC_VARIABLE_COUNT; i++) {
        size_t length = strlen(exec_variables[i]);
        if (strncmp(entry, exec_variables[i], length) == 0 && entry[length] == '=')
            return true;
    }
    return false;
}

static char *variable_entry(const char *name, const char *value)
{
    size_t size = strlen(name) + strlen(value) + 2;
    char *entry = malloc(size);
    if (entry)
        snprintf(entry, size, "%s=%s", name, value);
    return entry;
}

static void environment_free(struct exec_environment *environment)
{
    for (size_t i = 0; i < EXEC_VARIABLE_COUNT; i++)
        free(environment->owned[i]);
    free(environment->entries);
}

static bool environment_build(struct exec_environment *environment,
                              const struct notify_delivery *delivery)
{
    *environment = (struct exec_environment){0};
    const char *values[EXEC_VARIABLE_COUNT] = {delivery->subject, delivery->message_id,
                                               delivery->topic_arn};
    size_t inherited = 0;
    while (environ && environ[inherited])
        inherited++;
    environment->entries = calloc(inherited + EXEC_VARIABLE_COUNT + 1, sizeof(char *));
    if (!environment->entries)
        return false;
    size_t count = 0;
    for (size_t i = 0; i < inherited; i++)
        if (!is_exec_variable(environ[i]))
            environment->entries[count++] = environ[i];
    for (size_t i = 0; i < EXEC_VARIABLE_COUNT; i++) {
        if (!values[i])
            continue;
        environment->owned[i] = variable_entry(exec_variables[i], values[i]);
        if (!environment->owned[i]) {
            environment_free(environment);
            return false;
        }
        environment->entries[count++] = environment->owned[i];
    }
    return true;
}

/* The child gets a clean signal state: nothing blocked (we block SIGPIPE while writing)
 * and SIGPIPE at its default even if this process ignores it. */
static bool spawn_attributes(posix_spawnattr_t *attributes)
{
    sigset_t none, pipe_only;
    sigemptyset(&none);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    return posix_spawnattr_init(attributes) == 0 &&
           posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                    POSIX_SPAWN_SETSIGDEF) == 0 &&
           posix_spawnattr_setpgroup(attributes, 0) == 0 &&
           posix_spawnattr_setsigmask(attributes, &none) == 0 &&
           posix_spawnattr_setsigdefault(attributes, &pipe_only) == 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* posix_spawn of `/bin/sh -c command` with the pipes as its standard streams; 0 or an
 * errno value. */
static int spawn_shell(pid_t *pid, int input, int output, const char *command, char **environment)
{
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0)
        return ENOMEM;
    posix_spawnattr_t attributes;
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int failure = 0;
    if (posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO) != 0 ||
        posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO) != 0)
        failure = ENOMEM;
    else if (!spawn_attributes(&attributes))
        failure = EINVAL;
    else {
        failure = posix_spawn(pid, "/bin/sh", &actions, &attributes, argv, environment);
        posix_spawnattr_destroy(&attributes);
    }
    posix_spawn_file_actions_destroy(&actions);
    return failure;
}

/* Starts the command; 0 or an errno value. The pipes are close-on-exec, so only the dup2
 * copies reach the child and no other child of this process inherits them. */
static int spawn_command(struct exec_session *session, const char *command, char **environment)
{
    int input[2], output[2];
    if (pipe2(input, O_CLOEXEC) != 0)
        return errno;
    if (pipe2(output, O_CLOEXEC) != 0) {
        int saved = errno;
        close(input[0]);
        close(input[1]);
        return saved;
    }
    int failure = spawn_shell(&session->pid, input[0], output[1], command, environment);
    close(input[0]);
    close(output[1]);
    session->input_fd = input[1];
    session->output_fd = output[0];
    fcntl(session->input_fd, F_SETFL, O_NONBLOCK);
    fcntl(session->output_fd, F_SETFL, O_NONBLOCK);
    if (session->input_length == 0 || failure != 0) /* nothing to feed: EOF at once */
        close_fd(&session->input_fd);
    return failure;
}

static void feed_input(struct exec_session *session)
{
    ssize_t done = write(session->input_fd, session->input + session->written,
                         session->input_length - session->written);
    if (done > 0)
        session->written += (size_t)done;
    /* EPIPE: the command does not read all of its input, which is its right */
    if ((done < 0 && errno != EAGAIN && errno != EINTR) ||
        session->written == session->input_length)
        close_fd(&session->input_fd);
}

/* Reads what is there; the first bytes are kept, the rest read and dropped. False at the
 * end of the output (or an error). */
static bool collect_output(struct exec_session *session)
{
    char buffer[4096];
    ssize_t got = read(session->output_fd, buffer, sizeof buffer);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (got <= 0) {
        close_fd(&session->output_fd);
        return false;
    }
    size_t room = sizeof session->output - session->output_length;
    size_t kept = (size_t)got < room ? (size_t)got : room;
    memcpy(session->output + session->output_length, buffer, kept);
    session->output_length += kept;
    return true;
}

static void poll_once(struct exec_session *session, int wait_ms)
{
    struct pollfd fds[2];
    nfds_t count = 0;
    if (session->input_fd >= 0)
        fds[count++] = (struct pollfd){.fd = session->input_fd, .events = POLLOUT};
    if (session->output_fd >= 0)
        fds[count++] = (struct pollfd){.fd = session->output_fd, .events = POLLIN};
    if (poll(fds, count, wait_ms) <= 0)
        return;
    for (nfds_t i = 0; i < count; i++) {
        if (fds[i].revents == 0)
            continue;
        if (fds[i].fd == session->input_fd)
            feed_input(session);
        else if (fds[i].fd == session->output_fd)
            collect_output(session);
    }
}

/* Feeds input and collects output until the child exits or the deadline passes. */
static void run_until_exit(struct exec_session *session, long timeout_seconds)
{
    int64_t deadline = monotonic_ms() + (int64_t)timeout_seconds * 1000;
    for (;;) {
        pid_t reaped = waitpid(session->pid, &session->status, WNOHANG);
        if (reaped == session->pid || (reaped < 0 && errno != EINTR))
            break;
        int64_t left = deadline - monotonic_ms();
        if (left <= 0) {
            kill(-session->pid, SIGKILL);
            while (waitpid(session->pid, &session->status, 0) < 0 && errno == EINTR)
                ;
            session->timed_out = true;
            break;
        }
        poll_once(session, (int)(left < EXEC_TICK_MS ? left : EXEC_TICK_MS));
    }
    /* What the command wrote just before it exited; a background process still holding
     * the pipe does not hold us up (the pipe is non-blocking). */
    for (size_t drained = 0; session->output_fd >= 0 && drained < EXEC_DRAIN_LIMIT;
         drained += 4096) {
        size_t before = session->output_length;
        if (!collect_output(session) || session->output_length == before)
            break;
    }
}

/* Runs with SIGPIPE blocked in this thread, so writing to a command that stopped reading
 * cannot kill the process; a SIGPIPE we caused is consumed before the mask is restored. */
static void run_with_sigpipe_blocked(struct exec_session *session, long timeout_seconds)
{
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    run_until_exit(session, timeout_seconds);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) && !was_pending) {
        struct timespec zero = {0};
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

static void describe_exit(struct notify_result *result, const struct exec_session *session,
                          long timeout_seconds)
{
    int status = session->status;
    if (session->timed_out)
        notify_result_set(result, NOTIFY_RETRY, 0,
                          "no exit within %ld s; its process group was killed", timeout_seconds);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        notify_result_set(result, NOTIFY_DELIVERED, 0, "exit 0");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == EXEC_TEMPFAIL)
        notify_result_set(result, NOTIFY_RETRY, EXEC_TEMPFAIL, "exit 75 (temporary failure)");
    else if (WIFEXITED(status))
        notify_result_set(result, NOTIFY_PERMANENT, WEXITSTATUS(status), "exit %d",
                          WEXITSTATUS(status));
    else
        notify_result_set(result, NOTIFY_PERMANENT, 0, "killed by signal %d",
                          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (session->output_length > 0) {
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, session->output, session->output_length);
    }
}

void notify_deliver_exec(const struct notify_delivery *delivery, struct notify_result *result)
{
    long timeout_seconds = notify_timeout_seconds(delivery);
    const char *body = delivery->body ? delivery->body : "";
    struct exec_session session = {
        .pid = -1, .input_fd = -1, .output_fd = -1, .input = body, .input_length = strlen(body)};
    struct exec_environment environment;
    if (!environment_build(&environment, delivery)) {
        notify_result_set(result, NOTIFY_RETRY, 0, "out of memory building the environment");
        return;
    }
    int failure = spawn_command(&session, delivery->endpoint, environment.entries);
    environment_free(&environment);
    if (failure != 0) {
        close_fd(&session.input_fd);
        close_fd(&session.output_fd);
        notify_result_set(result, NOTIFY_RETRY, 0, "cannot start /bin/sh: %s", strerror(failure));
        return;
    }
    run_with_sigpipe_blocked(&session, timeout_seconds);
    close_fd(&session.input_fd);
    close_fd(&session.output_fd);
    describe_exit(result, &session, timeout_seconds);
}
