/* The worker pool of `trailhound scan`: jobs (batches, their messages held in the source's
 * memory or copied; or ranges of a file, which the worker reads and frames itself) go from
 * a free list to a pending queue, workers run them, and the submitting thread commits
 * finished jobs in submission order. Every shared field is guarded by `lock`. */
#include "cli/scan_pool.h"
#include "cli/scan_report.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Jobs in flight: a batch holds 2 MiB of the reader's window, a range only its reports.
 * Ranges are queued by the submitting thread alone, between ranges it evaluates itself:
 * while it runs one (or is descheduled), the others live on what is queued. With 4 a
 * thread, the second thread of a 450 MB scan sat idle 14-87 ms of its 75 on a busy
 * machine; with 16, 0-9 ms. */
#define BATCH_JOBS_PER_THREAD 1
#define RANGE_JOBS_PER_THREAD 16

/* Beyond a range's end the window still holds its last line (usually about 1 KiB). */
#define RANGE_WINDOW_SLACK_BYTES (64 * 1024)

struct invalid_event {
    struct source_location where;
    char reason[200];
};

enum scan_job_kind {
    JOB_BATCH, /* events framed by the reading thread */
    JOB_RANGE, /* a range of a file's lines, framed by the worker */
};

struct scan_job {
    enum scan_job_kind kind;
    struct source_hold *hold; /* retained memory the messages live in; NULL: copied */
    char *text;               /* the batch's paths, and its messages unless held */
    size_t text_capacity;
    struct source_event *events;
    size_t event_capacity, count;
    /* JOB_RANGE: the file (the submitter's, alive until the file is drained) and range */
    const struct source_line_file *file;
    uint64_t start, stop;
    struct source_range_summary range; /* line numbers of reports count from its start */
    /* Reports (invalid events, and for ranges framing reports), in input order; beyond
     * SCAN_REPORT_MAX_MALFORMED, which the output lists at most, only counted. */
    struct invalid_event *invalid;
    size_t invalid_count, invalid_capacity;
    uint64_t unlisted;
    uint64_t valid; /* valid events evaluated */
    bool done;
};

struct pool_worker {
    struct scan_pool *pool;
    struct filter_scan *scan;
    struct source_range_reader *ranges;         /* with ranges enabled */
    struct source_range_reader *ranges_to_free; /* the submitting thread's, at the end */
    struct source_handler range_handler;
    struct scan_job *job; /* the range job being framed, for range_handler */
    pthread_t thread;
    bool started;
    bool warm_requested; /* under the pool's lock */
};

struct scan_pool {
    size_t thread_count; /* 1: evaluate inline, no jobs; else workers[0] is the
                          * submitting thread, which helps when the queue is full */
    struct pool_worker workers[SCAN_POOL_MAX_THREADS];
    struct scan_job *jobs;
    size_t job_count;
    struct scan_job **free_jobs, **pending, **by_sequence;
    size_t free_count, pending_head, pending_count;
    uint64_t next_sequence, next_commit;
    uint64_t valid_events;
    bool stopping;
    bool released; /* stopped workers may free their scans (merged) and end */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    scan_invalid_event_callback *on_invalid;
    scan_unlisted_callback *on_unlisted;
    void *context;
    uint64_t range_bytes; /* 0: files are not split into ranges */
    uint64_t line_base;   /* lines before the next range to commit */
    struct source_range_summary file_total;
};

/* Room for one more report in `job`; NULL when it is only counted. */
static struct invalid_event *report_slot(struct scan_job *job)
{
    if (job->invalid_count == SCAN_REPORT_MAX_MALFORMED) {
        job->unlisted++;
        return NULL;
    }
    if (job->invalid_count == job->invalid_capacity) {
        size_t capacity = job->invalid_capacity ? job->invalid_capacity * 2 : 8;
        struct invalid_event *grown = realloc(job->invalid, capacity * sizeof *grown);
        if (!grown) {
            job->unlisted++; /* out of memory: counted, not listed */
            return NULL;
        }
        job->invalid = grown;
        job->invalid_capacity = capacity;
    }
    return &job->invalid[job->invalid_count++];
}

static void invalid_record(struct scan_job *job, const struct source_event *event,
                           const struct event_json_error *error)
{
    struct invalid_event *report = report_slot(job);
    if (!report)
        return;
    report->where = event->where;
    if (!event->where.line)
        report->where.offset += error->offset;
    snprintf(report->reason, sizeof report->reason, "invalid JSON: %s at byte %zu of the event",
             error->reason, error->offset);
}

/* Evaluates a batch; invalid events go to `job`. Returns how many were invalid. */
static size_t evaluate(struct filter_scan *scan, const struct source_event *events, size_t count,
                       struct scan_job *job)
{
    size_t invalid = 0;
    for (size_t i = 0; i < count; i++) {
        struct event_json_error error;
        if (!filter_scan_event(scan, events[i].message, events[i].length, &error)) {
            invalid++;
            invalid_record(job, &events[i], &error);
        }
    }
    return invalid;
}

/* Releases what a job holds, once its events are evaluated. */
static void job_release(struct scan_job *job)
{
    if (job->hold)
        source_hold_release(job->hold);
    job->hold = NULL;
}

/* The range handler's callbacks, on the worker framing the range. */
static void range_on_events(void *context, const struct source_event *events, size_t count)
{
    struct pool_worker *worker = context;
    worker->job->valid += count - evaluate(worker->scan, events, count, worker->job);
}

static void range_on_malformed(void *context, const struct source_location *where,
                               const char *reason)
{
    struct pool_worker *worker = context;
    struct invalid_event *report = report_slot(worker->job);
    if (report) {
        report->where = *where;
        snprintf(report->reason, sizeof report->reason, "%s", reason);
    }
}

/* Runs a job on `worker`'s thread, without the lock. */
static void run_job(struct pool_worker *worker, struct scan_job *job)
{
    if (job->kind == JOB_RANGE) {
        worker->job = job;
        source_read_line_range(worker->ranges, job->file, job->start, job->stop, &job->range);
        worker->job = NULL;
        return;
    }
    job->valid = job->count - evaluate(worker->scan, job->events, job->count, job);
    job_release(job);
}

/* glibc grows a thread's malloc arena by exactly what each allocation lacks, one mprotect
 * call each: about 400-800 calls on two threads of a 450 MB --cis scan, 1.4 ms of CPU or
 * more. An arena keeps its protections once grown, also when the memory is given back (it is
 * only advised away), so growing it once to a size a scan's gathering needs replaces them
 * with ARENA_WARM_CHUNKS calls. Asked for when data points are enabled (their tables and
 * the evidence are what grows it), before reading starts: the worker does it while the
 * submitting thread opens the first file, and is awake when the first job comes. */
#define ARENA_WARM_CHUNK_BYTES (96 * 1024) /* under glibc's threshold for mmap */
#define ARENA_WARM_CHUNKS 48

static void warm_arena(void)
{
    void *volatile chunks[ARENA_WARM_CHUNKS]; /* volatile: the pairs are not optimized away */
    for (size_t i = 0; i < ARENA_WARM_CHUNKS; i++)
        chunks[i] = malloc(ARENA_WARM_CHUNK_BYTES);
    for (size_t i = 0; i < ARENA_WARM_CHUNKS; i++) /* in order: one merge with the top */
        free(chunks[i]);
}

static void *worker_main(void *argument)
{
    struct pool_worker *worker = argument;
    struct scan_pool *pool = worker->pool;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->pending_count == 0 && !pool->stopping && !worker->warm_requested)
            pthread_cond_wait(&pool->changed, &pool->lock);
        if (worker->warm_requested && !pool->stopping) {
            worker->warm_requested = false;
            pthread_mutex_unlock(&pool->lock);
            warm_arena();
            pthread_mutex_lock(&pool->lock);
            continue;
        }
        if (pool->pending_count == 0)
            break;
        struct scan_job *job = pool->pending[pool->pending_head];
        pool->pending_head = (pool->pending_head + 1) % pool->job_count;
        pool->pending_count--;
        pthread_mutex_unlock(&pool->lock);
        run_job(worker, job);
        pthread_mutex_lock(&pool->lock);
        job->done = true;
        pthread_cond_broadcast(&pool->changed);
    }
    /* Once the submitting thread has merged this scan, the worker frees it and its window
     * here, while the submitting thread goes on (about 0.5 ms on 2 threads). */
    while (!pool->released)
        pthread_cond_wait(&pool->changed, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    filter_scan_free(worker->scan);
    worker->scan = NULL;
    source_range_reader_free(worker->ranges);
    worker->ranges = NULL;
    source_range_reader_free(worker->ranges_to_free);
    worker->ranges_to_free = NULL;
    return NULL;
}

/* The submitting thread evaluates the oldest queued job itself. Called and returns with
 * the lock held; false when nothing is queued. */
static bool help_with_queued_job(struct scan_pool *pool)
{
    if (pool->pending_count == 0)
        return false;
    struct scan_job *job = pool->pending[pool->pending_head];
    pool->pending_head = (pool->pending_head + 1) % pool->job_count;
    pool->pending_count--;
    pthread_mutex_unlock(&pool->lock);
    run_job(&pool->workers[0], job);
    pthread_mutex_lock(&pool->lock);
    job->done = true;
    pthread_cond_broadcast(&pool->changed);
    return true;
}

/* Hands a finished job's reports on; a range's line numbers become the file's. */
static void commit_reports(struct scan_pool *pool, struct scan_job *job)
{
    for (size_t i = 0; i < job->invalid_count; i++) {
        struct source_location where = job->invalid[i].where;
        if (job->kind == JOB_RANGE && where.line)
            where.line += pool->line_base;
        pool->on_invalid(pool->context, &where, job->invalid[i].reason);
    }
    if (job->unlisted)
        pool->on_unlisted(pool->context, job->unlisted);
    if (job->kind != JOB_RANGE)
        return;
    pool->line_base += job->range.lines;
    struct source_range_summary *total = &pool->file_total;
    total->lines += job->range.lines;
    total->events += job->range.events;
    total->malformed += job->range.malformed;
    if (job->range.content_end > total->content_end)
        total->content_end = job->range.content_end;
}

/* Commits finished jobs in order. Called and returns with the lock held. */
static void commit_done_jobs(struct scan_pool *pool)
{
    for (;;) {
        struct scan_job **slot = &pool->by_sequence[pool->next_commit % pool->job_count];
        struct scan_job *job = *slot;
        if (pool->next_commit == pool->next_sequence || !job || !job->done)
            return;
        *slot = NULL;
        pthread_mutex_unlock(&pool->lock);
        commit_reports(pool, job);
        pthread_mutex_lock(&pool->lock);
        pool->valid_events += job->valid;
        pool->free_jobs[pool->free_count++] = job;
        pool->next_commit++;
    }
}

static bool reserve(void **items, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return true;
    void *grown = realloc(*items, needed * item_size);
    if (!grown)
        return false;
    *items = grown;
    *capacity = needed;
    return true;
}

/* The hold all of a batch's messages live in, if they share one. */
static struct source_hold *batch_hold(const struct source_event *events, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (events[i].hold != events[0].hold)
            return NULL;
    return count ? events[0].hold : NULL;
}

/* Fills `job` with a batch: the messages stay where they are when the source lets them be
 * held, else they are copied; paths are copied. The copies go into one block, sized before
 * copying so no pointer into it moves. */
static bool job_fill(struct scan_job *job, const struct source_event *events, size_t count)
{
    struct source_hold *hold = batch_hold(events, count);
    size_t bytes = 0;
    for (size_t i = 0; i < count; i++)
        bytes += (hold ? 0 : events[i].length) +
                 (i == 0 || events[i].where.path != events[i - 1].where.path
                      ? strlen(events[i].where.path) + 1
                      : 0);
    if (!reserve((void **)&job->text, &job->text_capacity, bytes + 1, 1) ||
        !reserve((void **)&job->events, &job->event_capacity, count, sizeof *job->events))
        return false;
    size_t used = 0;
    const char *path = NULL;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || events[i].where.path != events[i - 1].where.path) {
            size_t length = strlen(events[i].where.path) + 1;
            path = memcpy(job->text + used, events[i].where.path, length);
            used += length;
        }
        job->events[i] = events[i];
        job->events[i].where.path = path;
        if (!hold) {
            job->events[i].message = memcpy(job->text + used, events[i].message, events[i].length);
            used += events[i].length;
        }
    }
    if (hold)
        source_hold_retain(hold);
    job->kind = JOB_BATCH;
    job->hold = hold;
    job->count = count;
    job->invalid_count = 0;
    job->unlisted = 0;
    job->valid = 0;
    job->done = false;
    return true;
}

static void submit_inline(struct scan_pool *pool, const struct source_event *events, size_t count)
{
    struct scan_job job = {0};
    size_t invalid = evaluate(pool->workers[0].scan, events, count, &job);
    commit_reports(pool, &job);
    free(job.invalid);
    pool->valid_events += count - invalid;
}

/* A free job, once one is and fewer than `in_flight` jobs are uncommitted: meanwhile
 * finished jobs are committed and queued ones run here. */
static struct scan_job *take_free_job(struct scan_pool *pool, size_t in_flight)
{
    pthread_mutex_lock(&pool->lock);
    commit_done_jobs(pool);
    while (pool->free_count == 0 || pool->next_sequence - pool->next_commit >= in_flight) {
        if (!help_with_queued_job(pool))
            pthread_cond_wait(&pool->changed, &pool->lock);
        commit_done_jobs(pool);
    }
    struct scan_job *job = pool->free_jobs[--pool->free_count];
    pthread_mutex_unlock(&pool->lock);
    return job;
}

static void enqueue(struct scan_pool *pool, struct scan_job *job)
{
    pthread_mutex_lock(&pool->lock);
    pool->by_sequence[pool->next_sequence++ % pool->job_count] = job;
    pool->pending[(pool->pending_head + pool->pending_count++) % pool->job_count] = job;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
}

void scan_pool_submit(struct scan_pool *pool, const struct source_event *events, size_t count)
{
    if (pool->thread_count == 1) {
        submit_inline(pool, events, count);
        return;
    }
    struct scan_job *job = take_free_job(pool, BATCH_JOBS_PER_THREAD * pool->thread_count + 1);
    if (!job_fill(job, events, count)) {
        /* out of memory for the copy: evaluate this batch here, after the queue drains */
        pthread_mutex_lock(&pool->lock);
        pool->free_jobs[pool->free_count++] = job;
        pthread_mutex_unlock(&pool->lock);
        scan_pool_drain(pool);
        submit_inline(pool, events, count);
        return;
    }
    enqueue(pool, job);
}

void scan_pool_drain(struct scan_pool *pool)
{
    if (pool->thread_count == 1)
        return;
    pthread_mutex_lock(&pool->lock);
    commit_done_jobs(pool);
    while (pool->next_commit < pool->next_sequence) {
        if (!help_with_queued_job(pool))
            pthread_cond_wait(&pool->changed, &pool->lock);
        commit_done_jobs(pool);
    }
    pthread_mutex_unlock(&pool->lock);
}

bool scan_pool_read_line_file(struct scan_pool *pool, const struct source_line_file *file,
                              struct source_range_summary *summary)
{
    /* a file of one range would be read by one thread while the others wait: the reading
     * thread's pipeline keeps them busy */
    if (pool->thread_count == 1 || pool->range_bytes == 0 || file->size <= file->start ||
        file->size - file->start < 2 * pool->range_bytes)
        return false;
    scan_pool_drain(pool); /* line numbers and totals below are this file's */
    pool->line_base = file->lines_before;
    pool->file_total = (struct source_range_summary){0};
    uint64_t start = file->start, stop;
    do {
        /* the last range reads to the end, however far the file has grown */
        stop = file->size > start && file->size - start > pool->range_bytes
                   ? start + pool->range_bytes
                   : UINT64_MAX;
        struct scan_job *job = take_free_job(pool, pool->job_count);
        job->kind = JOB_RANGE;
        job->file = file;
        job->start = start;
        job->stop = stop;
        job->range = (struct source_range_summary){0};
        job->count = job->invalid_count = 0;
        job->unlisted = job->valid = 0;
        job->done = false;
        enqueue(pool, job);
        start = stop;
    } while (stop != UINT64_MAX);
    scan_pool_drain(pool);
    *summary = pool->file_total;
    return true;
}

uint64_t scan_pool_valid_events(const struct scan_pool *pool)
{
    return pool->valid_events;
}

/* Workers end their loop; `release` lets them free their scans and end. */
static void request_stop(struct scan_pool *pool, bool release)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pool->released = pool->released || release;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
}

static void stop_threads(struct scan_pool *pool)
{
    request_stop(pool, true);
    for (size_t i = 0; i < pool->thread_count; i++)
        if (pool->workers[i].started)
            pthread_join(pool->workers[i].thread, NULL);
    for (size_t i = 0; i < pool->thread_count; i++)
        pool->workers[i].started = false;
}

/* Once any thread has spilled, the data points go to the spill rather than be merged in
 * memory: each thread's rest is spilled (a failure is kept in its scan). */
static void spill_rest(struct scan_pool *pool)
{
    bool spilled = false;
    for (size_t i = 0; i < pool->thread_count; i++)
        spilled = spilled || filter_scan_spilled(pool->workers[i].scan) > 0;
    for (size_t i = 0; spilled && i < pool->thread_count; i++)
        filter_scan_spill(pool->workers[i].scan, NULL);
}

struct filter_scan *scan_pool_finish(struct scan_pool *pool)
{
    scan_pool_drain(pool);
    /* drained: the workers' jobs have returned, so their scans are no longer touched */
    request_stop(pool, false);
    spill_rest(pool);
    /* each thread mostly saw buckets of its own: their data points are moved, not copied */
    bool merged = true; /* after a failure the rest stays with its worker, which frees it */
    for (size_t i = 1; merged && i < pool->thread_count; i++)
        merged = filter_scan_merge_take(pool->workers[0].scan, pool->workers[i].scan);
    if (pool->thread_count > 1) { /* the first worker frees the submitting thread's window */
        pool->workers[1].ranges_to_free = pool->workers[0].ranges;
        pool->workers[0].ranges = NULL;
    }
    request_stop(pool, true); /* the workers free what is left of theirs */
    return merged ? pool->workers[0].scan : NULL;
}

static bool allocate_jobs(struct scan_pool *pool)
{
    pool->job_count = RANGE_JOBS_PER_THREAD * pool->thread_count;
    pool->jobs = calloc(pool->job_count, sizeof *pool->jobs);
    pool->free_jobs = calloc(pool->job_count, sizeof *pool->free_jobs);
    pool->pending = calloc(pool->job_count, sizeof *pool->pending);
    pool->by_sequence = calloc(pool->job_count, sizeof *pool->by_sequence);
    if (!pool->jobs || !pool->free_jobs || !pool->pending || !pool->by_sequence)
        return false;
    for (size_t i = 0; i < pool->job_count; i++)
        pool->free_jobs[pool->free_count++] = &pool->jobs[i];
    return true;
}

struct scan_pool *scan_pool_create(const struct metric_filter_list *filters, bool pre_test,
                                   size_t threads, scan_invalid_event_callback *on_invalid,
                                   scan_unlisted_callback *on_unlisted, void *context,
                                   struct metrics_error *error)
{
    struct scan_pool *pool = calloc(1, sizeof *pool);
    if (!pool || threads == 0 || threads > SCAN_POOL_MAX_THREADS) {
        snprintf(error->message, sizeof error->message, "cannot create %zu threads", threads);
        free(pool);
        return NULL;
    }
    pool->thread_count = threads;
    pool->on_invalid = on_invalid;
    pool->on_unlisted = on_unlisted;
    pool->context = context;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->changed, NULL);
    bool ready = threads == 1 || allocate_jobs(pool);
    for (size_t i = 0; ready && i < threads; i++) {
        pool->workers[i] = (struct pool_worker){.pool = pool};
        ready = (pool->workers[i].scan = filter_scan_create(filters, pre_test, error)) != NULL;
    }
    for (size_t i = 1; ready && threads > 1 && i < threads; i++) {
        ready = pthread_create(&pool->workers[i].thread, NULL, worker_main, &pool->workers[i]) == 0;
        pool->workers[i].started = ready;
        if (!ready)
            snprintf(error->message, sizeof error->message, "cannot start thread %zu", i + 1);
    }
    if (!ready) {
        scan_pool_free(pool);
        return NULL;
    }
    return pool;
}

void scan_pool_free(struct scan_pool *pool)
{
    if (!pool)
        return;
    stop_threads(pool);
    for (size_t i = 0; i < pool->thread_count; i++) {
        filter_scan_free(pool->workers[i].scan);
        source_range_reader_free(pool->workers[i].ranges);
        source_range_reader_free(pool->workers[i].ranges_to_free);
    }
    for (size_t i = 0; i < pool->job_count; i++) {
        job_release(&pool->jobs[i]);
        free(pool->jobs[i].text);
        free(pool->jobs[i].events);
        free(pool->jobs[i].invalid);
    }
    free(pool->jobs);
    free(pool->free_jobs);
    free(pool->pending);
    free(pool->by_sequence);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->changed);
    free(pool);
}

bool scan_pool_enable_datapoints(struct scan_pool *pool, int resolution,
                                 struct metrics_error *error)
{
    for (size_t i = 0; i < pool->thread_count; i++)
        if (!filter_scan_enable_datapoints(pool->workers[i].scan, resolution, error))
            return false;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 1; i < pool->thread_count; i++)
        pool->workers[i].warm_requested = true;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    return true;
}

void scan_pool_set_spill(struct scan_pool *pool, size_t limit_bytes, filter_scan_spill_fn spill,
                         void *context)
{
    size_t each = limit_bytes / pool->thread_count;
    for (size_t i = 0; i < pool->thread_count; i++)
        filter_scan_set_spill(pool->workers[i].scan, each, spill, context);
}

bool scan_pool_enable_evidence(struct scan_pool *pool, struct metrics_error *error)
{
    for (size_t i = 0; i < pool->thread_count; i++)
        if (!filter_scan_enable_evidence(pool->workers[i].scan, error))
            return false;
    return true;
}

bool scan_pool_enable_suppressions(struct scan_pool *pool,
                                   const struct suppression_rule_list *rules,
                                   struct metrics_error *error)
{
    for (size_t i = 0; i < pool->thread_count; i++)
        if (!filter_scan_enable_suppressions(pool->workers[i].scan, rules, error))
            return false;
    return true;
}

bool scan_pool_enable_ranges(struct scan_pool *pool, const struct source_options *options,
                             uint64_t range_bytes, struct metrics_error *error)
{
    if (pool->thread_count == 1 || range_bytes == 0)
        return true;
    /* a window a little larger than a range reads a range in one go */
    struct source_options window = *options;
    window.read_buffer_bytes = range_bytes + RANGE_WINDOW_SLACK_BYTES;
    for (size_t i = 0; i < pool->thread_count; i++) {
        struct pool_worker *worker = &pool->workers[i];
        worker->range_handler = (struct source_handler){
            .context = worker, .on_events = range_on_events, .on_malformed = range_on_malformed};
        worker->ranges = source_range_reader_create(&window, &worker->range_handler);
        if (!worker->ranges) {
            snprintf(error->message, sizeof error->message, "out of memory");
            return false;
        }
    }
    pool->range_bytes = range_bytes;
    return true;
}
