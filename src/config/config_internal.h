/* Internal to the config stage: the YAML tree built from libyaml's events, the loader that
 * carries the file name and error, and the helpers that read nodes and word messages
 * ("FILE:LINE: FIELD: what is wrong"). */
#ifndef TRAILHOUND_CONFIG_CONFIG_INTERNAL_H
#define TRAILHOUND_CONFIG_CONFIG_INTERNAL_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

/* Limits that keep hostile or fuzzed input cheap; real files are far below them. */
#define CONFIG_MAX_BYTES (16u * 1024 * 1024)
#define CONFIG_MAX_DEPTH 32
#define CONFIG_MAX_NODES 100000

/* AWS's limits for PutMetricFilter (filter-patterns.md §7). */
#define FILTER_NAME_MAX_CHARACTERS 512
#define LOG_GROUP_NAME_MAX_CHARACTERS 512
#define METRIC_NAME_MAX_CHARACTERS 255
#define METRIC_VALUE_MAX_CHARACTERS 100
#define DIMENSION_MAX_CHARACTERS 255

/* Room for a field path such as metricFilters[12].metricTransformations[0].dimensions.x */
#define FIELD_PATH_SIZE 320

enum config_node_kind { NODE_SCALAR, NODE_SEQUENCE, NODE_MAPPING };

/* A YAML node. Mappings keep their entries as key, value, key, value... */
struct config_node {
    enum config_node_kind kind;
    size_t line;  /* 1-based */
    bool is_null; /* !!null, or an untagged plain scalar spelling null: "", ~, null */
    char *text;   /* scalars: NUL-terminated copy (may also hold NUL bytes) */
    size_t length;
    struct config_node *children;
    size_t count, capacity;
};

struct config_loader {
    const char *name; /* the file, for messages */
    const char *text;
    size_t length;
    struct config_error *error;
    struct config_node root;
    bool has_root;
    size_t node_count;
};

/* "NAME:LINE: FIELD: what" (FIELD left out when NULL). Always returns false. */
__attribute__((format(printf, 4, 5))) bool config_fail(struct config_loader *loader, size_t line,
                                                       const char *field, const char *format, ...);
/* User text made safe to quote in a message: control bytes become '?', long text is cut. */
const char *config_quoted(char out[64], const char *text, size_t length);
/* "path.key"; a path cut short by the buffer still points the way. */
const char *config_field_path(char out[FIELD_PATH_SIZE], const char *path, const char *key);
/* "path[index]", cut short like config_field_path. */
const char *config_item_path(char out[FIELD_PATH_SIZE], const char *path, size_t index);
const char *config_node_kind_name(const struct config_node *node);
void config_node_free(struct config_node *node);
/* Parses loader->text into loader->root (aliases, anchors, depth and size refused). */
bool config_tree_build(struct config_loader *loader);

size_t config_utf8_characters(const char *text, size_t length);
const struct config_node *config_mapping_get(const struct config_node *mapping, const char *key);
/* An optional field: absent or written as null gives NULL. */
const struct config_node *config_mapping_get_optional(const struct config_node *mapping,
                                                      const char *key);
/* Every key is a scalar from `known`, written once. */
bool config_mapping_check_keys(struct config_loader *loader, const struct config_node *mapping,
                               const char *path, const char *const *known, size_t known_count);
/* A non-null scalar without NUL bytes. */
bool config_expect_text(struct config_loader *loader, const struct config_node *node,
                        const char *path);
/* Text of 1..max characters containing none of `forbidden`. */
bool config_expect_name(struct config_loader *loader, const struct config_node *node,
                        const char *path, size_t max_characters, const char *forbidden);
const struct config_node *config_required(struct config_loader *loader,
                                          const struct config_node *mapping, const char *path,
                                          const char *key);
/* A JSON-style number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
bool config_is_number_literal(const char *text);
bool config_expect_number(struct config_loader *loader, const struct config_node *node,
                          const char *path, double *value);

/* Optional fields of a mapping: absent or null leaves *out as it is, unless said
 * otherwise; text is borrowed from the tree. */
/* The field's node (NULL when absent or null), its path "path.key" written to `field`. */
const struct config_node *config_optional_field(const struct config_node *mapping, const char *path,
                                                const char *key, char field[FIELD_PATH_SIZE]);
/* Text; absent sets *out to NULL. */
bool config_optional_text(struct config_loader *loader, const struct config_node *mapping,
                          const char *path, const char *key, char **out);
/* true or false. */
bool config_optional_flag(struct config_loader *loader, const struct config_node *mapping,
                          const char *path, const char *key, bool *out);
/* A maximum that is no limit a user meets: the message says "from minimum up". */
#define CONFIG_WHOLE_NUMBER_UNBOUNDED 1000000000
/* A whole number in [minimum, maximum]. */
bool config_optional_whole_number(struct config_loader *loader, const struct config_node *mapping,
                                  const char *path, const char *key, int minimum, int maximum,
                                  int *out);

/* The sections besides metricFilters (config_alarms.c, config_settings.c). */
bool config_load_alarms(struct config_loader *loader, const struct config_node *list,
                        struct alarm_list *loaded);
bool config_load_topics(struct config_loader *loader, const struct config_node *list,
                        struct notify_topic_list *loaded);
bool config_load_settings(struct config_loader *loader, const struct config_node *settings,
                          struct config_settings *out);
bool config_load_suppressions(struct config_loader *loader, const struct config_node *list,
                              struct suppression_rule_list *loaded);
/* config_finish's checks of the suppressions ("FILE:LINE: FIELD: what" from the origins). */
bool config_check_suppressions(const struct config *config, struct config_error *error);

#endif
