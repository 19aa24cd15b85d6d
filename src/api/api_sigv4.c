/* SigV4 verification (aws-api.md §8): the Authorization header's parser, the canonical
 * request, the string to sign, the derived key, and a constant-time comparison. */
#include "api/api_internal.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* Copies [start, start+length) into out (size bytes); false when it does not fit or is
 * empty. */
static bool copy_part(const char *start, size_t length, char *out, size_t size)
{
    if (length == 0 || length >= size)
        return false;
    memcpy(out, start, length);
    out[length] = '\0';
    return true;
}

static bool parse_credential(const char *value, size_t length,
                             struct api_sigv4_authorization *authorization)
{
    const char *parts[5];
    size_t lengths[5];
    size_t count = 0;
    const char *start = value;
    for (size_t i = 0; i <= length; i++) {
        if (i < length && value[i] != '/')
            continue;
        if (count == 5)
            return false;
        parts[count] = start;
        lengths[count++] = (size_t)(value + i - start);
        start = value + i + 1;
    }
    if (count != 5 || lengths[4] != 12 || memcmp(parts[4], "aws4_request", 12) != 0)
        return false;
    if (lengths[1] != 8)
        return false;
    for (size_t i = 0; i < 8; i++) {
        if (!isdigit((unsigned char)parts[1][i]))
            return false;
    }
    return copy_part(parts[0], lengths[0], authorization->access_key,
                     sizeof authorization->access_key) &&
           copy_part(parts[1], lengths[1], authorization->date, sizeof authorization->date) &&
           copy_part(parts[2], lengths[2], authorization->region, sizeof authorization->region) &&
           copy_part(parts[3], lengths[3], authorization->service, sizeof authorization->service);
}

static bool is_hex_signature(const char *text)
{
    if (strlen(text) != 64)
        return false;
    for (const char *at = text; *at; at++) {
        if (!isdigit((unsigned char)*at) && !(*at >= 'a' && *at <= 'f'))
            return false;
    }
    return true;
}

/* One "name=value" part; `seen` is a bit per part name. */
static bool parse_part(const char *part, size_t length,
                       struct api_sigv4_authorization *authorization, unsigned *seen)
{
    const char *equals = memchr(part, '=', length);
    if (!equals)
        return false;
    size_t name_length = (size_t)(equals - part);
    const char *value = equals + 1;
    size_t value_length = length - name_length - 1;
    if (name_length == 10 && memcmp(part, "Credential", 10) == 0 && !(*seen & 1u)) {
        *seen |= 1u;
        return parse_credential(value, value_length, authorization);
    }
    if (name_length == 13 && memcmp(part, "SignedHeaders", 13) == 0 && !(*seen & 2u)) {
        *seen |= 2u;
        return copy_part(value, value_length, authorization->signed_headers,
                         sizeof authorization->signed_headers);
    }
    if (name_length == 9 && memcmp(part, "Signature", 9) == 0 && !(*seen & 4u)) {
        *seen |= 4u;
        return copy_part(value, value_length, authorization->signature,
                         sizeof authorization->signature) &&
               is_hex_signature(authorization->signature);
    }
    return false;
}

bool api_sigv4_parse(const char *header, struct api_sigv4_authorization *authorization)
{
    *authorization = (struct api_sigv4_authorization){0};
    size_t algorithm_length = strlen(SIGV4_ALGORITHM);
    if (strncmp(header, SIGV4_ALGORITHM, algorithm_length) != 0 || header[algorithm_length] != ' ')
        return false;
    const char *at = header + algorithm_length;
    unsigned seen = 0;
    while (*at) {
        while (*at == ' ')
            at++;
        size_t length = strcspn(at, ",");
        while (length > 0 && at[length - 1] == ' ')
            length--;
        if (!parse_part(at, length, authorization, &seen))
            return false;
        at += strcspn(at, ",");
        if (*at == ',')
            at++;
    }
    return seen == 7u;
}

void api_sha256_hex(const void *bytes, size_t length, char out[65])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(bytes, length, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static bool hmac_step(const unsigned char *key, size_t key_length, const char *message,
                      unsigned char out[32])
{
    unsigned int out_length = 0;
    return HMAC(EVP_sha256(), key, (int)key_length, (const unsigned char *)message, strlen(message),
                out, &out_length) != NULL &&
           out_length == 32;
}

bool api_sigv4_signature(const char *secret, const char *date, const char *region,
                         const char *service, const char *string_to_sign, char out[65])
{
    char first_key[256];
    int written = snprintf(first_key, sizeof first_key, "AWS4%s", secret);
    if (written < 0 || (size_t)written >= sizeof first_key)
        return false;
    unsigned char key[32], next[32];
    bool ok = hmac_step((const unsigned char *)first_key, (size_t)written, date, key) &&
              hmac_step(key, 32, region, next) && hmac_step(next, 32, service, key) &&
              hmac_step(key, 32, "aws4_request", next) && hmac_step(next, 32, string_to_sign, key);
    OPENSSL_cleanse(first_key, sizeof first_key);
    if (!ok)
        return false;
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", key[i]);
    return true;
}

bool api_request_header(const struct api_request *request, const char *lower_name, char *out,
                        size_t size)
{
    size_t used = 0;
    bool found = false;
    for (size_t i = 0; i < request->header_count; i++) {
        if (strcmp(request->headers[i].name, lower_name) != 0)
            continue;
        size_t length = strlen(request->headers[i].value);
        if (used + length + (found ? 1 : 0) + 1 > size)
            return false;
        if (found)
            out[used++] = ',';
        memcpy(out + used, request->headers[i].value, length);
        used += length;
        found = true;
    }
    if (found)
        out[used] = '\0';
    return found;
}

/* A header value trimmed, inner whitespace runs collapsed to one space. */
static void append_canonical_value(struct api_buffer *buffer, const char *value)
{
    bool space = false, started = false;
    for (const char *at = value; *at; at++) {
        if (*at == ' ' || *at == '\t') {
            space = started;
            continue;
        }
        if (space)
            api_buffer_append(buffer, " ", 1);
        api_buffer_append(buffer, at, 1);
        space = false;
        started = true;
    }
}

static bool append_canonical_headers(struct api_buffer *buffer, const struct api_request *request,
                                     const char *signed_headers)
{
    char name[128];
    char value[8192];
    const char *at = signed_headers;
    while (*at) {
        size_t length = strcspn(at, ";");
        if (length == 0 || length >= sizeof name)
            return false;
        memcpy(name, at, length);
        name[length] = '\0';
        if (!api_request_header(request, name, value, sizeof value))
            return false;
        api_buffer_append_text(buffer, name);
        api_buffer_append_text(buffer, ":");
        append_canonical_value(buffer, value);
        api_buffer_append_text(buffer, "\n");
        at += length;
        if (*at == ';')
            at++;
    }
    return true;
}

bool api_sigv4_canonical_request(const struct api_request *request, const char *signed_headers,
                                 char **out)
{
    struct api_buffer buffer = {0};
    char payload_hash[65];
    api_sha256_hex(request->body, request->body_length, payload_hash);
    api_buffer_append_text(&buffer, request->method);
    /* Every request these clients send is POST / with no query; other paths and queries
     * are not signed operations here (callback URLs are unsigned). */
    api_buffer_append_text(&buffer, "\n/\n\n");
    if (!append_canonical_headers(&buffer, request, signed_headers)) {
        api_buffer_free(&buffer);
        return false;
    }
    api_buffer_append_text(&buffer, "\n");
    api_buffer_append_text(&buffer, signed_headers);
    api_buffer_append_text(&buffer, "\n");
    api_buffer_append_text(&buffer, payload_hash);
    *out = api_buffer_take(&buffer);
    return *out != NULL;
}

/* X-Amz-Date (yyyymmddThhmmssZ) as epoch ms; false when malformed. */
static bool parse_amz_date(const char *text, int64_t *ms)
{
    struct tm parts = {0};
    if (strlen(text) != 16 || text[8] != 'T' || text[15] != 'Z')
        return false;
    for (size_t i = 0; i < 15; i++) {
        if (i != 8 && !isdigit((unsigned char)text[i]))
            return false;
    }
    parts.tm_year = atoi((char[]){text[0], text[1], text[2], text[3], 0}) - 1900;
    parts.tm_mon = atoi((char[]){text[4], text[5], 0}) - 1;
    parts.tm_mday = atoi((char[]){text[6], text[7], 0});
    parts.tm_hour = atoi((char[]){text[9], text[10], 0});
    parts.tm_min = atoi((char[]){text[11], text[12], 0});
    parts.tm_sec = atoi((char[]){text[13], text[14], 0});
    time_t seconds = timegm(&parts);
    if (seconds == (time_t)-1)
        return false;
    *ms = (int64_t)seconds * 1000;
    return true;
}

static void format_amz_date(int64_t ms, char out[17])
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm parts;
    gmtime_r(&seconds, &parts);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &parts);
}

static bool check_skew(const char *amz_date, int64_t signed_ms, int64_t now_ms,
                       struct api_auth_result *result)
{
    char now_text[17], edge_text[17];
    format_amz_date(now_ms, now_text);
    if (signed_ms < now_ms - API_MAX_SKEW_MS) {
        format_amz_date(now_ms - API_MAX_SKEW_MS, edge_text);
        snprintf(result->message, sizeof result->message,
                 "Signature expired: %s is now earlier than %s (%s - 15 min.)", amz_date, edge_text,
                 now_text);
        return false;
    }
    if (signed_ms > now_ms + API_MAX_SKEW_MS) {
        format_amz_date(now_ms + API_MAX_SKEW_MS, edge_text);
        snprintf(result->message, sizeof result->message,
                 "Signature not yet current: %s is still later than %s (%s + 15 min.)", amz_date,
                 edge_text, now_text);
        return false;
    }
    return true;
}

static const char *find_secret(const struct api_credentials *credentials, const char *key)
{
    for (size_t i = 0; credentials && i < credentials->count; i++) {
        if (strcmp(credentials->items[i].access_key_id, key) == 0)
            return credentials->items[i].secret_access_key;
    }
    return NULL;
}

static void fail(struct api_auth_result *result, enum api_auth_status status, const char *message)
{
    result->status = status;
    if (message)
        snprintf(result->message, sizeof result->message, "%s", message);
}

static bool compute_signature(const struct api_request *request,
                              const struct api_sigv4_authorization *authorization,
                              const char *amz_date, const char *secret, char signature[65])
{
    char *canonical = NULL;
    if (!api_sigv4_canonical_request(request, authorization->signed_headers, &canonical))
        return false;
    char canonical_hash[65];
    api_sha256_hex(canonical, strlen(canonical), canonical_hash);
    free(canonical);
    char string_to_sign[512];
    snprintf(string_to_sign, sizeof string_to_sign,
             SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, authorization->date,
             authorization->region, authorization->service, canonical_hash);
    return api_sigv4_signature(secret, authorization->date, authorization->region,
                               authorization->service, string_to_sign, signature);
}

void api_sigv4_verify(const struct api_request *request, const struct api_credentials *credentials,
                      int64_t now_ms, struct api_auth_result *result)
{
    *result = (struct api_auth_result){.status = API_AUTH_OK};
    char header[2048], amz_date[32];
    struct api_sigv4_authorization authorization;
    if (!api_request_header(request, "authorization", header, sizeof header))
        return fail(result, API_AUTH_MISSING, "Missing Authentication Token");
    if (!api_sigv4_parse(header, &authorization))
        return fail(result, API_AUTH_INCOMPLETE,
                    "Authorization header requires 'Credential', 'Signature' and "
                    "'SignedHeaders' parameters.");
    snprintf(result->service, sizeof result->service, "%s", authorization.service);
    int64_t signed_ms = 0;
    if (!api_request_header(request, "x-amz-date", amz_date, sizeof amz_date) ||
        !parse_amz_date(amz_date, &signed_ms) || strncmp(amz_date, authorization.date, 8) != 0)
        return fail(result, API_AUTH_INCOMPLETE,
                    "Authorization requires a valid X-Amz-Date matching the credential scope.");
    if (!check_skew(amz_date, signed_ms, now_ms, result))
        return fail(result, API_AUTH_EXPIRED, NULL);
    const char *secret = find_secret(credentials, authorization.access_key);
    if (!secret)
        return fail(result, API_AUTH_UNKNOWN_KEY,
                    "The security token included in the request is invalid.");
    char expected[65];
    if (!compute_signature(request, &authorization, amz_date, secret, expected))
        return fail(result, API_AUTH_INCOMPLETE, "A signed header is missing from the request.");
    if (CRYPTO_memcmp(expected, authorization.signature, 64) != 0)
        return fail(result, API_AUTH_MISMATCH,
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your AWS Secret Access Key and signing method. Consult "
                    "the service documentation for details.");
}
