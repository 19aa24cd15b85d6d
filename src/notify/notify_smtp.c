/* E-mail deliveries (email, email-json) through an SMTP relay with libcurl: one RFC 5322
 * message per attempt. SMTP's reply classes decide: 2xx delivered, 5xx permanent (a refused
 * recipient, a refused login), 4xx and connection or TLS failures retried. libcurl does
 * the dot-stuffing. The relay URL's path, when given, is the EHLO name (libcurl's rule). */
#include "notify/notify_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

enum {
    SMTP_LINE_LIMIT = 998,   /* RFC 5322's hard limit on a line, without its CRLF */
    QP_LINE_LIMIT = 76,      /* RFC 2045's limit on a quoted-printable line */
    ENCODED_WORD_BYTES = 45, /* of text per RFC 2047 word: 60 base64 characters, under 75 */
};

static bool is_ascii_text(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)text[i] >= 0x80)
            return false;
    return true;
}

/* An address we put between angle brackets in the envelope and alone in To:. */
static bool plain_address(const char *address)
{
    const char *at = strchr(address, '@');
    if (!at || at == address || !at[1] || strlen(address) > 320)
        return false;
    for (const unsigned char *p = (const unsigned char *)address; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("<>,;\"()[]\\", *p))
            return false;
    return true;
}

/* "Name <a@b>" → "a@b", copied into `out`; "a@b" as is. */
static bool envelope_address(const char *from, char *out, size_t size)
{
    const char *open = strrchr(from, '<');
    const char *start = open ? open + 1 : from;
    size_t length = open ? strcspn(start, ">") : strlen(from);
    if (open && start[length] != '>')
        return false;
    if (length >= size)
        return false;
    memcpy(out, start, length);
    out[length] = '\0';
    return plain_address(out);
}

static void append_base64(struct alarm_text *text, const unsigned char *data, size_t length)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < length; i += 3) {
        unsigned value = (unsigned)data[i] << 16;
        if (i + 1 < length)
            value |= (unsigned)data[i + 1] << 8;
        if (i + 2 < length)
            value |= data[i + 2];
        char quad[4] = {alphabet[value >> 18 & 63], alphabet[value >> 12 & 63],
                        i + 1 < length ? alphabet[value >> 6 & 63] : '=',
                        i + 2 < length ? alphabet[value & 63] : '='};
        alarm_text_append(text, quad, 4);
    }
}

/* How many bytes of `text` fit in one encoded word without cutting a UTF-8 character. */
static size_t encoded_word_chunk(const char *text, size_t length)
{
    if (length <= ENCODED_WORD_BYTES)
        return length;
    size_t chunk = ENCODED_WORD_BYTES;
    while (chunk > 0 && ((unsigned char)text[chunk] & 0xc0) == 0x80)
        chunk--;
    return chunk > 0 ? chunk : ENCODED_WORD_BYTES;
}

/* RFC 2047 B encoding, each word under 76 characters, words folded onto new lines. */
static void append_encoded_words(struct alarm_text *text, const char *value, size_t length)
{
    for (size_t done = 0; done < length;) {
        size_t chunk = encoded_word_chunk(value + done, length - done);
        if (done > 0)
            alarm_text_append_string(text, "\r\n ");
        alarm_text_append_string(text, "=?UTF-8?B?");
        append_base64(text, (const unsigned char *)value + done, chunk);
        alarm_text_append_string(text, "?=");
        done += chunk;
    }
}

/* A header value from our input: line breaks and controls become spaces (no header can be
 * injected); non-ASCII or overlong values are encoded. */
static void append_header_text(struct alarm_text *text, const char *value)
{
    size_t length = strlen(value);
    char *clean = malloc(length + 1);
    if (!clean) {
        alarm_text_fail(text);
        return;
    }
    for (size_t i = 0; i <= length; i++)
        clean[i] =
            (i < length && ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)) ? ' ' : value[i];
    if (is_ascii_text(clean, length) && length + sizeof "Subject: " <= SMTP_LINE_LIMIT)
        alarm_text_append(text, clean, length);
    else
        append_encoded_words(text, clean, length);
    free(clean);
}

/* From: keeps the display name the configuration wrote, encoded when not ASCII. */
static void append_from(struct alarm_text *text, const char *from, const char *address)
{
    const char *open = strrchr(from, '<');
    if (!open) {
        alarm_text_appendf(text, "From: %s\r\n", address);
        return;
    }
    size_t name_length = (size_t)(open - from);
    while (name_length > 0 && from[name_length - 1] == ' ')
        name_length--;
    alarm_text_append_string(text, "From: ");
    if (name_length > 0) {
        char *name = strndup(from, name_length);
        if (name && is_ascii_text(name, name_length))
            alarm_text_append_string(text, name);
        else if (name)
            append_encoded_words(text, name, name_length);
        free(name);
        alarm_text_append_string(text, " ");
    }
    alarm_text_appendf(text, "<%s>\r\n", address);
}

static void append_date(struct alarm_text *text, int64_t now_seconds)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t seconds = (time_t)now_seconds;
    struct tm utc;
    gmtime_r(&seconds, &utc);
    alarm_text_appendf(text, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[utc.tm_wday],
                       utc.tm_mday, months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                       utc.tm_sec);
}

/* Whether every line is ASCII and short enough to travel as 7bit. */
static bool body_is_7bit(const char *body)
{
    size_t line = 0;
    for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
        if (*p >= 0x80)
            return false;
        line = (*p == '\n' || *p == '\r') ? 0 : line + 1;
        if (line > SMTP_LINE_LIMIT)
            return false;
    }
    return true;
}

/* The body's lines one by one, whatever their ends (LF, CRLF, lone CR), each emitted with
 * `emit` and followed by CRLF. */
static void for_each_line(struct alarm_text *text, const char *body,
                          void (*emit)(struct alarm_text *, const char *, size_t))
{
    const char *line = body;
    while (*line) {
        size_t length = strcspn(line, "\r\n");
        emit(text, line, length);
        alarm_text_append_string(text, "\r\n");
        line += length;
        if (line[0] == '\r' && line[1] == '\n')
            line += 2;
        else if (*line)
            line++;
    }
}

static void emit_plain_line(struct alarm_text *text, const char *line, size_t length)
{
    alarm_text_append(text, line, length);
}

/* RFC 2045 quoted-printable for one line: soft breaks keep lines within 76 characters and
 * never split an =XX triple; a space or tab ending the line is encoded. */
static void emit_quoted_printable_line(struct alarm_text *text, const char *line, size_t length)
{
    size_t column = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)line[i];
        bool last = i + 1 == length;
        bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        char piece[4];
        size_t width = literal ? 1 : 3;
        if (literal)
            piece[0] = (char)c;
        else
            snprintf(piece, sizeof piece, "=%02X", c);
        /* room for the piece, plus a soft-break '=' unless this is the last piece */
        if (column + width + (last ? 0 : 1) > QP_LINE_LIMIT) {
            alarm_text_append_string(text, "=\r\n");
            column = 0;
        }
        alarm_text_append(text, piece, width);
        column += width;
    }
}

/* A message id usable as a Message-ID's left part: letters, digits, '-' and '.'. */
static bool message_id_usable(const char *id)
{
    if (!id || !*id || strlen(id) > 128)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-' || *p == '.'))
            return false;
    return true;
}

/* The delivery's message id when it has one, so every retry of a message carries the same
 * Message-ID and mail systems can drop duplicates. */
static void append_message_id(struct alarm_text *text, const char *message_id, const char *unique,
                              const char *address)
{
    const char *local = message_id_usable(message_id) ? message_id : unique;
    alarm_text_appendf(text, "Message-ID: <%s@%s>\r\n", local, strchr(address, '@') + 1);
}

char *notify_smtp_message(const struct notify_delivery *delivery, int64_t now_seconds,
                          const char *unique)
{
    char address[321];
    const char *from = delivery->smtp && delivery->smtp->from ? delivery->smtp->from : "";
    if (!envelope_address(from, address, sizeof address))
        return NULL;
    const char *body = delivery->body ? delivery->body : "";
    bool seven_bit = body_is_7bit(body);
    struct alarm_text text = {0};
    append_from(&text, from, address);
    alarm_text_appendf(&text, "To: %s\r\n", delivery->endpoint);
    alarm_text_append_string(&text, "Subject: ");
    append_header_text(&text, delivery->subject ? delivery->subject : "");
    alarm_text_append_string(&text, "\r\n");
    append_date(&text, now_seconds);
    append_message_id(&text, delivery->message_id, unique, address);
    alarm_text_appendf(&text,
                       "MIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=UTF-8\r\n"
                       "Content-Transfer-Encoding: %s\r\n"
                       "Auto-Submitted: auto-generated\r\n"
                       "\r\n",
                       seven_bit ? "7bit" : "quoted-printable");
    for_each_line(&text, body, seven_bit ? emit_plain_line : emit_quoted_printable_line);
    return alarm_text_finish(&text);
}

/* ---- the SMTP session ---- */

struct smtp_upload {
    const char *data;
    size_t length, offset;
    char reply[256]; /* the server's telling reply, for the detail */
    bool refusal_kept;
};

static size_t read_message(char *buffer, size_t size, size_t count, void *context)
{
    struct smtp_upload *upload = context;
    size_t room = size * count, left = upload->length - upload->offset;
    size_t chunk = left < room ? left : room;
    memcpy(buffer, upload->data + upload->offset, chunk);
    upload->offset += chunk;
    return chunk;
}

/* Keeps the server's first refusal (4xx/5xx), else its last reply before QUIT's "221".
 * Only the server's lines are seen: ours carry the AUTH data. */
static int keep_reply(CURL *curl, curl_infotype type, char *data, size_t size, void *context)
{
    (void)curl;
    struct smtp_upload *upload = context;
    if (type != CURLINFO_HEADER_IN || upload->refusal_kept || size < 3)
        return 0;
    if (strncmp(data, "221", 3) == 0)
        return 0;
    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
        size--;
    size_t kept = size < sizeof upload->reply - 1 ? size : sizeof upload->reply - 1;
    memcpy(upload->reply, data, kept);
    upload->reply[kept] = '\0';
    upload->refusal_kept = data[0] == '4' || data[0] == '5';
    return 0;
}

static bool set_smtp_options(const struct notify_curl *library, CURL *curl,
                             const struct notify_delivery *delivery, const char *sender,
                             struct curl_slist *recipients, struct smtp_upload *upload, char *error)
{
    const struct notify_smtp_settings *smtp = delivery->smtp;
    bool ok =
        library->easy_setopt(curl, CURLOPT_URL, smtp->url) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps") == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_TIMEOUT, notify_timeout_seconds(delivery)) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_MAIL_FROM, sender) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_READFUNCTION, read_message) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_READDATA, upload) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload->length) ==
            CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_DEBUGFUNCTION, keep_reply) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_DEBUGDATA, upload) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_VERBOSE, 1L) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_ERRORBUFFER, error) == CURLE_OK &&
        library->easy_setopt(curl, CURLOPT_USE_SSL,
                             (long)(smtp->starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE)) == CURLE_OK;
    if (ok && delivery->ca_file)
        ok = library->easy_setopt(curl, CURLOPT_CAINFO, delivery->ca_file) == CURLE_OK;
    if (ok && smtp->username)
        ok = library->easy_setopt(curl, CURLOPT_USERNAME, smtp->username) == CURLE_OK &&
             library->easy_setopt(curl, CURLOPT_PASSWORD, smtp->password ? smtp->password : "") ==
                 CURLE_OK;
    return ok;
}

/* 5xx is final; 4xx, no reply at all (connection, TLS, timeout) and the rest are retried,
 * except a relay URL libcurl cannot use. */
static enum notify_outcome classify_smtp(CURLcode code, long reply)
{
    if (code == CURLE_OK)
        return NOTIFY_DELIVERED;
    if (reply >= 500 && reply <= 599)
        return NOTIFY_PERMANENT;
    if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL)
        return NOTIFY_PERMANENT;
    return NOTIFY_RETRY;
}

static void describe_smtp(const struct notify_curl *library, struct notify_result *result,
                          CURLcode code, long reply, const char *shown_url,
                          const struct smtp_upload *upload, const char *error)
{
    notify_result_set(result, classify_smtp(code, reply), reply, "SMTP %s", shown_url);
    if (code != CURLE_OK) {
        const char *reason = error[0] ? error : library->easy_strerror(code);
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, reason, strlen(reason));
    }
    if (upload->reply[0]) {
        notify_result_append_excerpt(result, "; server: ", 10);
        notify_result_append_excerpt(result, upload->reply, strlen(upload->reply));
    }
}

static void send_message(const struct notify_curl *library, const struct notify_delivery *delivery,
                         const char *message, const char *sender, struct notify_result *result)
{
    char envelope_from[330], envelope_to[330], error[CURL_ERROR_SIZE] = "";
    snprintf(envelope_from, sizeof envelope_from, "<%s>", sender);
    snprintf(envelope_to, sizeof envelope_to, "<%s>", delivery->endpoint);
    struct smtp_upload upload = {.data = message, .length = strlen(message)};
    char *shown = notify_redact(NOTIFY_HTTPS, delivery->smtp->url);
    struct curl_slist *recipients = library->slist_append(NULL, envelope_to);
    CURL *curl = library->easy_init();
    if (!shown || !recipients || !curl ||
        !set_smtp_options(library, curl, delivery, envelope_from, recipients, &upload, error)) {
        notify_result_set(result, NOTIFY_RETRY, 0, "cannot set up the SMTP session");
    } else {
        CURLcode code = library->easy_perform(curl);
        long reply = 0;
        library->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
        describe_smtp(library, result, code, reply, shown, &upload, error);
    }
    library->easy_cleanup(curl);
    library->slist_free_all(recipients);
    free(shown);
    notify_result_scrub(result, delivery->smtp->password);
    notify_result_scrub_url(result, delivery->smtp->url);
}

/* A Message-ID part for deliveries that carry no message id. */
static void random_unique(char out[33])
{
    unsigned char bytes[16] = {0};
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        memcpy(bytes, &now, sizeof now < sizeof bytes ? sizeof now : sizeof bytes);
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

void notify_deliver_smtp(const struct notify_curl *library, const struct notify_delivery *delivery,
                         struct notify_result *result)
{
    const struct notify_smtp_settings *smtp = delivery->smtp;
    char sender[321];
    if (!smtp || !smtp->url || !smtp->from) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "no SMTP relay configured");
        return;
    }
    if (!envelope_address(smtp->from, sender, sizeof sender)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "the sender %s is not an e-mail address",
                          smtp->from);
        return;
    }
    if (!plain_address(delivery->endpoint)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "%s is not an e-mail address",
                          delivery->endpoint);
        return;
    }
    char unique[33];
    random_unique(unique);
    char *message = notify_smtp_message(delivery, (int64_t)time(NULL), unique);
    if (!message) {
        notify_result_set(result, NOTIFY_RETRY, 0, "out of memory building the message");
        return;
    }
    send_message(library, delivery, message, sender, result);
    free(message);
}
