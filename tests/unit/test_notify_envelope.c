/* SNS envelopes and signatures (../shared/spec/notifications.md §4.2–4.5): the documents
 * byte for byte in AWS's layout, the string to sign, sign-and-verify round trips for
 * SignatureVersion 1 and 2, tampering with any signed field, and the real `openssl`
 * command line on both sides (its signature verifies here, ours verifies there, and its
 * key and certificate work with our functions). */
#define _XOPEN_SOURCE 700
#include "notify/notify.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/alarm_fixtures.h"
#include "../support/temp_store.h"
#include "../support/text_file.h"

/* ---- fixtures ---- */

struct fixture {
    struct notify_signing_key key, other_key;
    char directory[64];
};

static int setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof *fixture);
    struct notify_error error;
    if (!fixture || !notify_signing_key_create(&fixture->key, &error) ||
        !notify_signing_key_create(&fixture->other_key, &error))
        return -1;
    if (!temp_directory_make(fixture->directory, "trailhound-envelope"))
        return -1;
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fixture = *state;
    if (temp_directory_remove(fixture->directory) != 0)
        return -1;
    notify_signing_key_free(&fixture->key);
    notify_signing_key_free(&fixture->other_key);
    free(fixture);
    return 0;
}

static const char topic_arn[] = "arn:aws:sns:eu-west-1:111122223333:cis-alarms";
static const char cert_url[] =
    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-<hex>.pem";

/* §4.3's sample notification. */
static struct notify_envelope example_notification(int version)
{
    return (struct notify_envelope){
        .type = NOTIFY_ENVELOPE_NOTIFICATION,
        .message_id = "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11",
        .topic_arn = topic_arn,
        .subject = "ALARM: \"root_usage_alarm\" in EU (Ireland)",
        .message = "{\"AlarmName\":\"root_usage_alarm\", …}",
        .unsubscribe_url = "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&"
                           "SubscriptionArn=arn:aws:sns:eu-west-1:111122223333:cis-alarms:"
                           "7e0d2c4a-1b6f-4c3e-9a8d-5f2e1c0b3a97",
        .signing_cert_url = cert_url,
        .timestamp_ms = utc_ms(2026, 11, 26, 10, 10, 51, 402),
        .signature_version = version,
    };
}

/* §4.2's sample confirmation (its Message made by our function). */
static struct notify_envelope example_confirmation(int version, const char *message)
{
    return (struct notify_envelope){
        .type = NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION,
        .message_id = "0f6c7f0e-3a52-4b7e-9a51-2f1d7c1b9e10",
        .token = "<opaque token, long hex string>",
        .topic_arn = topic_arn,
        .message = message,
        .subscribe_url = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&"
                         "TopicArn=arn:aws:sns:eu-west-1:111122223333:cis-alarms&Token=<token>",
        .signing_cert_url = cert_url,
        .timestamp_ms = utc_ms(2026, 11, 26, 9, 0, 1, 123),
        .signature_version = version,
    };
}

static char *envelope(const struct notify_envelope *envelope, const struct notify_signing_key *key)
{
    struct notify_error error = {""};
    char *json = notify_envelope_json(envelope, key, &error);
    if (!json)
        fail_msg("envelope: %s", error.message);
    return json;
}

static bool verifies(const char *json, const char *certificate)
{
    struct notify_error error = {""};
    bool valid = notify_envelope_verify(json, certificate, &error);
    if (!valid)
        assert_true(error.message[0] != '\0'); /* a failure always says why */
    return valid;
}

/* The document with member `name` set to `value` (NULL: removed), re-serialized. */
static char *with_member(const char *json, const char *name, const char *value)
{
    json_t *root = json_loads(json, 0, NULL);
    assert_non_null(root);
    if (value)
        json_object_set_new(root, name, json_string(value));
    else
        json_object_del(root, name);
    char *text = json_dumps(root, JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}

static char *member(const char *json, const char *name)
{
    json_t *root = json_loads(json, 0, NULL);
    assert_non_null(root);
    const char *value = json_string_value(json_object_get(root, name));
    char *copy = value ? strdup(value) : NULL;
    json_decref(root);
    return copy;
}

/* ---- layout (§4.2, §4.3) ---- */

static void notification_is_laid_out_as_sns_sends_it(void **state)
{
    struct fixture *fixture = *state;
    struct notify_envelope notification = example_notification(1);
    char *json = envelope(&notification, &fixture->key);
    char *signature = member(json, "Signature");
    char expected[4096];
    snprintf(expected, sizeof expected,
             "{\n"
             "  \"Type\" : \"Notification\",\n"
             "  \"MessageId\" : \"5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11\",\n"
             "  \"TopicArn\" : \"arn:aws:sns:eu-west-1:111122223333:cis-alarms\",\n"
             "  \"Subject\" : \"ALARM: \\\"root_usage_alarm\\\" in EU (Ireland)\",\n"
             "  \"Message\" : \"{\\\"AlarmName\\\":\\\"root_usage_alarm\\\", …}\",\n"
             "  \"Timestamp\" : \"2026-11-26T10:10:51.402Z\",\n"
             "  \"SignatureVersion\" : \"1\",\n"
             "  \"Signature\" : \"%s\",\n"
             "  \"SigningCertURL\" : "
             "\"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-<hex>.pem\",\n"
             "  \"UnsubscribeURL\" : \"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&"
             "SubscriptionArn=arn:aws:sns:eu-west-1:111122223333:cis-alarms:"
             "7e0d2c4a-1b6f-4c3e-9a8d-5f2e1c0b3a97\"\n"
             "}",
             signature);
    assert_string_equal(json, expected);
    /* RSA 2048: a 256-byte signature, 344 Base64 characters */
    assert_int_equal(strlen(signature), 344);
    free(signature);
    free(json);

    /* no subject: no Subject member (§4.3) */
    notification.subject = NULL;
    json = envelope(&notification, &fixture->key);
    assert_null(strstr(json, "Subject"));
    assert_non_null(strstr(json, "cis-alarms\",\n  \"Message\" : "));
    assert_true(verifies(json, fixture->key.certificate_pem));
    free(json);
}

static void confirmations_are_laid_out_as_sns_sends_them(void **state)
{
    struct fixture *fixture = *state;
    char *message = notify_subscription_confirmation_message(topic_arn);
    assert_string_equal(message, "You have chosen to subscribe to the topic "
                                 "arn:aws:sns:eu-west-1:111122223333:cis-alarms.\nTo confirm the "
                                 "subscription, visit the SubscribeURL included in this message.");
    struct notify_envelope confirmation = example_confirmation(2, message);
    char *json = envelope(&confirmation, &fixture->key);
    char *signature = member(json, "Signature");
    char expected[4096];
    snprintf(expected, sizeof expected,
             "{\n"
             "  \"Type\" : \"SubscriptionConfirmation\",\n"
             "  \"MessageId\" : \"0f6c7f0e-3a52-4b7e-9a51-2f1d7c1b9e10\",\n"
             "  \"Token\" : \"<opaque token, long hex string>\",\n"
             "  \"TopicArn\" : \"arn:aws:sns:eu-west-1:111122223333:cis-alarms\",\n"
             "  \"Message\" : \"You have chosen to subscribe to the topic "
             "arn:aws:sns:eu-west-1:111122223333:cis-alarms.\\nTo confirm the subscription, "
             "visit the SubscribeURL included in this message.\",\n"
             "  \"SubscribeURL\" : \"https://sns.eu-west-1.amazonaws.com/?Action="
             "ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:111122223333:cis-alarms&"
             "Token=<token>\",\n"
             "  \"Timestamp\" : \"2026-11-26T09:00:01.123Z\",\n"
             "  \"SignatureVersion\" : \"2\",\n"
             "  \"Signature\" : \"%s\",\n"
             "  \"SigningCertURL\" : "
             "\"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-<hex>.pem\"\n"
             "}",
             signature);
    assert_string_equal(json, expected);
    free(signature);
    free(json);
    free(message);

    /* UnsubscribeConfirmation: the same shape, §4.4's Message */
    message = notify_unsubscribe_confirmation_message(
        "arn:aws:sns:eu-west-1:111122223333:cis-alarms:7e0d2c4a");
    assert_string_equal(message, "You have chosen to deactivate subscription "
                                 "arn:aws:sns:eu-west-1:111122223333:cis-alarms:7e0d2c4a.\nTo "
                                 "cancel this operation and restore the subscription, visit the "
                                 "SubscribeURL included in this message.");
    confirmation = example_confirmation(1, message);
    confirmation.type = NOTIFY_ENVELOPE_UNSUBSCRIBE_CONFIRMATION;
    json = envelope(&confirmation, &fixture->key);
    static const char head[] = "{\n  \"Type\" : \"UnsubscribeConfirmation\",\n  \"MessageId\"";
    assert_memory_equal(json, head, strlen(head));
    assert_true(verifies(json, fixture->key.certificate_pem));
    free(json);
    free(message);
}

static void envelopes_need_their_fields(void **state)
{
    struct fixture *fixture = *state;
    struct notify_error error;
    struct notify_envelope confirmation = example_confirmation(1, "m");
    confirmation.token = NULL;
    assert_null(notify_envelope_json(&confirmation, &fixture->key, &error));
    assert_string_equal(error.message, "Token: missing");
    struct notify_envelope notification = example_notification(1);
    notification.unsubscribe_url = NULL;
    assert_null(notify_envelope_json(&notification, &fixture->key, &error));
    assert_string_equal(error.message, "UnsubscribeURL: missing");
    notification = example_notification(3);
    assert_null(notify_envelope_json(&notification, &fixture->key, &error));
    assert_string_equal(error.message, "SignatureVersion 3: must be 1 or 2");
    notification = example_notification(1);
    struct notify_signing_key broken = {"not a key", "not a certificate"};
    assert_null(notify_envelope_json(&notification, &broken, &error));
    /* OpenSSL's reason follows ours */
    assert_memory_equal(error.message, "the signing key is not an RSA private key in PEM: ", 50);
}

/* ---- the string to sign (§4.5) ---- */

static void string_to_sign_is_name_newline_value(void **state)
{
    (void)state;
    struct notify_error error;
    struct notify_envelope notification = example_notification(1);
    char *text = notify_envelope_string_to_sign(&notification, &error);
    assert_string_equal(text, "Message\n{\"AlarmName\":\"root_usage_alarm\", …}\n"
                              "MessageId\n5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11\n"
                              "Subject\nALARM: \"root_usage_alarm\" in EU (Ireland)\n"
                              "Timestamp\n2026-11-26T10:10:51.402Z\n"
                              "TopicArn\narn:aws:sns:eu-west-1:111122223333:cis-alarms\n"
                              "Type\nNotification\n");
    free(text);
    notification.subject = NULL;
    text = notify_envelope_string_to_sign(&notification, &error);
    assert_null(strstr(text, "Subject"));
    free(text);

    /* values unescaped: the Message's newline is a real one */
    struct notify_envelope confirmation = example_confirmation(1, "line one\nline two");
    text = notify_envelope_string_to_sign(&confirmation, &error);
    assert_string_equal(text, "Message\nline one\nline two\n"
                              "MessageId\n0f6c7f0e-3a52-4b7e-9a51-2f1d7c1b9e10\n"
                              "SubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action="
                              "ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:"
                              "111122223333:cis-alarms&Token=<token>\n"
                              "Timestamp\n2026-11-26T09:00:01.123Z\n"
                              "Token\n<opaque token, long hex string>\n"
                              "TopicArn\narn:aws:sns:eu-west-1:111122223333:cis-alarms\n"
                              "Type\nSubscriptionConfirmation\n");
    free(text);
}

/* ---- signatures ---- */

static void signatures_round_trip(void **state)
{
    struct fixture *fixture = *state;
    for (int version = 1; version <= 2; version++) {
        struct notify_envelope notification = example_notification(version);
        char *json = envelope(&notification, &fixture->key);
        assert_true(verifies(json, fixture->key.certificate_pem));
        /* another key's certificate does not verify it */
        assert_false(verifies(json, fixture->other_key.certificate_pem));
        free(json);
        struct notify_envelope confirmation = example_confirmation(version, "a\nb");
        json = envelope(&confirmation, &fixture->key);
        assert_true(verifies(json, fixture->key.certificate_pem));
        free(json);
    }
}

static void versions_use_sha1_and_sha256(void **state)
{
    struct fixture *fixture = *state;
    struct notify_envelope notification = example_notification(1);
    char *version_1 = envelope(&notification, &fixture->key);
    notification.signature_version = 2;
    char *version_2 = envelope(&notification, &fixture->key);
    char *signature_1 = member(version_1, "Signature");
    char *signature_2 = member(version_2, "Signature");
    assert_string_not_equal(signature_1, signature_2);
    /* a version-1 signature labelled "2" (or the reverse) does not verify */
    char *relabelled = with_member(version_1, "SignatureVersion", "2");
    assert_false(verifies(relabelled, fixture->key.certificate_pem));
    free(relabelled);
    relabelled = with_member(version_2, "SignatureVersion", "1");
    assert_false(verifies(relabelled, fixture->key.certificate_pem));
    free(relabelled);
    free(signature_1);
    free(signature_2);
    free(version_1);
    free(version_2);
}

static void tampering_with_a_signed_field_fails(void **state)
{
    struct fixture *fixture = *state;
    static const char *const notification_fields[] = {"Message", "MessageId", "Subject",
                                                      "Timestamp", "TopicArn"};
    static const char *const confirmation_fields[] = {"Message",   "MessageId", "SubscribeURL",
                                                      "Timestamp", "Token",     "TopicArn"};
    struct notify_envelope notification = example_notification(2);
    struct notify_envelope confirmation = example_confirmation(2, "m");
    char *documents[] = {envelope(&notification, &fixture->key),
                         envelope(&confirmation, &fixture->key)};
    const char *const *fields[] = {notification_fields, confirmation_fields};
    size_t counts[] = {5, 6};
    for (size_t d = 0; d < 2; d++) {
        for (size_t f = 0; f < counts[d]; f++) {
            char *original = member(documents[d], fields[d][f]);
            size_t length = strlen(original);
            char *changed = malloc(length + 2);
            memcpy(changed, original, length + 1);
            changed[length > 0 ? length - 1 : 0] ^= 1; /* one bit of the last character */
            char *tampered = with_member(documents[d], fields[d][f], changed);
            if (verifies(tampered, fixture->key.certificate_pem))
                fail_msg("%s tampered still verifies", fields[d][f]);
            free(tampered);
            tampered = with_member(documents[d], fields[d][f], NULL);
            assert_false(verifies(tampered, fixture->key.certificate_pem));
            free(tampered);
            free(changed);
            free(original);
        }
        /* the type cannot be swapped for another */
        char *tampered = with_member(documents[d], "Type",
                                     d ? "UnsubscribeConfirmation" : "SubscriptionConfirmation");
        assert_false(verifies(tampered, fixture->key.certificate_pem));
        free(tampered);
        /* the signature itself: one character changed */
        char *signature = member(documents[d], "Signature");
        signature[10] = signature[10] == 'A' ? 'B' : 'A';
        tampered = with_member(documents[d], "Signature", signature);
        assert_false(verifies(tampered, fixture->key.certificate_pem));
        free(tampered);
        free(signature);
        /* SigningCertURL is not signed (§4.5): the receiver pins the certificate itself */
        tampered = with_member(documents[d], "SigningCertURL", "https://elsewhere/cert.pem");
        assert_true(verifies(tampered, fixture->key.certificate_pem));
        free(tampered);
    }
    /* a subject added to a notification that had none */
    notification.subject = NULL;
    char *without = envelope(&notification, &fixture->key);
    char *tampered = with_member(without, "Subject", "hello");
    assert_false(verifies(tampered, fixture->key.certificate_pem));
    free(tampered);
    free(without);
    free(documents[0]);
    free(documents[1]);
}

static void verify_reports_what_is_wrong(void **state)
{
    struct fixture *fixture = *state;
    static const struct {
        const char *json, *message;
    } cases[] = {
        {"not json", "not a JSON document"},
        {"[1]", "not a JSON object"},
        {"{}", "Type: missing or not a string"},
        {"{\"Type\":\"Nope\"}", "Type: unknown type"},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":\"3\"}",
         "SignatureVersion: must be \"1\" or \"2\""},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":1}",
         "SignatureVersion: must be \"1\" or \"2\""},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":\"1\",\"Message\":1}",
         "Message: must be a string"},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":\"1\",\"Message\":\"m\"}",
         "Signature: missing"},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":\"1\",\"Message\":\"m\","
         "\"Signature\":\"AAAA\"}",
         "MessageId: missing"},
        {"{\"Type\":\"Notification\",\"SignatureVersion\":\"1\",\"Message\":\"m\",\"MessageId\":"
         "\"i\",\"Timestamp\":\"t\",\"TopicArn\":\"a\",\"Signature\":\"A*==\"}",
         "Signature: not Base64"},
        {"{\"Type\":\"Notification\",\"Type\":\"Notification\"}", "not a JSON document"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct notify_error error = {""};
        assert_false(notify_envelope_verify(cases[i].json, fixture->key.certificate_pem, &error));
        if (strncmp(error.message, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("%s: got \"%s\"", cases[i].json, error.message);
    }
    struct notify_envelope notification = example_notification(1);
    char *json = envelope(&notification, &fixture->key);
    struct notify_error error;
    assert_false(notify_envelope_verify(json, "garbage", &error));
    assert_memory_equal(error.message, "the signing certificate is not", 30);
    assert_false(notify_envelope_verify(json, fixture->key.private_key_pem, &error));
    free(json);
}

/* ---- the signing key ---- */

static void signing_key_is_rsa_2048_with_a_certificate(void **state)
{
    struct fixture *fixture = *state;
    assert_memory_equal(fixture->key.private_key_pem, "-----BEGIN PRIVATE KEY-----\n", 28);
    assert_memory_equal(fixture->key.certificate_pem, "-----BEGIN CERTIFICATE-----\n", 28);
    BIO *bio = BIO_new_mem_buf(fixture->key.private_key_pem, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(key);
    assert_true(EVP_PKEY_is_a(key, "RSA"));
    assert_int_equal(EVP_PKEY_get_bits(key), 2048);
    EVP_PKEY_free(key);
    BIO_free(bio);
    assert_string_not_equal(fixture->key.certificate_pem, fixture->other_key.certificate_pem);
}

static void uuids_and_tokens_are_random_hex(void **state)
{
    (void)state;
    char first[37], second[37];
    assert_true(notify_uuid(first));
    assert_true(notify_uuid(second));
    assert_string_not_equal(first, second);
    assert_int_equal(strlen(first), 36);
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(first[i], '-');
        else
            assert_true(isxdigit((unsigned char)first[i]) && !isupper((unsigned char)first[i]));
    }
    assert_int_equal(first[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", first[19])); /* RFC 4122 variant */
    char token[129], other[129];
    assert_true(notify_token(token));
    assert_true(notify_token(other));
    assert_string_not_equal(token, other);
    assert_int_equal(strlen(token), 128);
    for (size_t i = 0; i < 128; i++)
        assert_true(isxdigit((unsigned char)token[i]) && !isupper((unsigned char)token[i]));
}

/* ---- the openssl command line ---- */

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
    assert_int_equal(fclose(file), 0);
}

static char *read_file(const char *path)
{
    char *text = text_file_read(path, NULL);
    assert_non_null(text);
    return text;
}

static void run(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void run(const char *format, ...)
{
    char command[2048];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(command, sizeof command, format, arguments);
    va_end(arguments);
    if (system(command) != 0)
        fail_msg("command failed: %s", command);
}

static char *path_in(const struct fixture *fixture, const char *name)
{
    char *path = malloc(strlen(fixture->directory) + strlen(name) + 2);
    sprintf(path, "%s/%s", fixture->directory, name);
    return path;
}

/* A signature made by `openssl dgst -sign` over our string to sign verifies, and equals
 * ours (PKCS#1 v1.5 is deterministic); ours verifies with `openssl dgst -verify`. */
static void openssl_command_line_agrees(void **state)
{
    struct fixture *fixture = *state;
    char *key = path_in(fixture, "key.pem"), *certificate = path_in(fixture, "cert.pem");
    char *public_key = path_in(fixture, "public.pem"), *to_sign = path_in(fixture, "to-sign");
    char *signature = path_in(fixture, "signature"), *base64 = path_in(fixture, "signature.b64");
    write_file(key, fixture->key.private_key_pem);
    write_file(certificate, fixture->key.certificate_pem);
    run("openssl x509 -in '%s' -pubkey -noout > '%s'", certificate, public_key);
    static const char *const digests[] = {"-sha1", "-sha256"};
    for (int version = 1; version <= 2; version++) {
        struct notify_envelope notification = example_notification(version);
        struct notify_error error;
        char *text = notify_envelope_string_to_sign(&notification, &error);
        write_file(to_sign, text);
        free(text);
        run("openssl dgst %s -sign '%s' -out '%s' '%s'", digests[version - 1], key, signature,
            to_sign);
        run("openssl base64 -A -in '%s' -out '%s'", signature, base64);
        char *theirs = read_file(base64);
        char *json = envelope(&notification, &fixture->key);
        char *ours = member(json, "Signature");
        assert_string_equal(theirs, ours);
        char *replaced = with_member(json, "Signature", theirs);
        assert_true(verifies(replaced, fixture->key.certificate_pem));
        /* and the other way: openssl verifies our signature */
        write_file(base64, ours);
        run("openssl base64 -d -A -in '%s' -out '%s'", base64, signature);
        run("openssl dgst %s -verify '%s' -signature '%s' '%s' > /dev/null", digests[version - 1],
            public_key, signature, to_sign);
        free(replaced);
        free(ours);
        free(json);
        free(theirs);
    }
    free(key);
    free(certificate);
    free(public_key);
    free(to_sign);
    free(signature);
    free(base64);
}

/* A key and certificate made by `openssl req` sign and verify with our functions, and the
 * certificate we make reads as one to openssl. */
static void openssl_made_keys_work(void **state)
{
    struct fixture *fixture = *state;
    char *key = path_in(fixture, "req-key.pem"), *certificate = path_in(fixture, "req-cert.pem");
    run("openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -subj /CN=receiver "
        "-days 1 2> /dev/null",
        key, certificate);
    struct notify_signing_key theirs = {read_file(key), read_file(certificate)};
    for (int version = 1; version <= 2; version++) {
        struct notify_envelope notification = example_notification(version);
        char *json = envelope(&notification, &theirs);
        assert_true(verifies(json, theirs.certificate_pem));
        assert_false(verifies(json, fixture->key.certificate_pem));
        free(json);
    }
    notify_signing_key_free(&theirs);

    char *ours = path_in(fixture, "ours.pem"), *subject = path_in(fixture, "subject");
    write_file(ours, fixture->key.certificate_pem);
    run("openssl x509 -in '%s' -noout -subject -nameopt oneline > '%s'", ours, subject);
    char *line = read_file(subject);
    assert_non_null(strstr(line, "CN = trailhound SNS signing")); /* oneline: "O = …, CN = …" */
    assert_non_null(strstr(line, "O = trailhound"));
    free(line);
    free(ours);
    free(subject);
    free(key);
    free(certificate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notification_is_laid_out_as_sns_sends_it),
        cmocka_unit_test(confirmations_are_laid_out_as_sns_sends_them),
        cmocka_unit_test(envelopes_need_their_fields),
        cmocka_unit_test(string_to_sign_is_name_newline_value),
        cmocka_unit_test(signatures_round_trip),
        cmocka_unit_test(versions_use_sha1_and_sha256),
        cmocka_unit_test(tampering_with_a_signed_field_fails),
        cmocka_unit_test(verify_reports_what_is_wrong),
        cmocka_unit_test(signing_key_is_rsa_2048_with_a_certificate),
        cmocka_unit_test(uuids_and_tokens_are_random_hex),
        cmocka_unit_test(openssl_command_line_agrees),
        cmocka_unit_test(openssl_made_keys_work),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
