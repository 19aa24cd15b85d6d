/* SNS message signatures (notifications.md §4.5) with OpenSSL 3's EVP interfaces: the
 * signing key and its self-signed certificate, RSA PKCS#1 v1.5 over SHA-1
 * (SignatureVersion 1, SHA1withRSA) or SHA-256 (2), Base64, and the random message ids
 * and confirmation tokens. OpenSSL's error queue is read into the error message and
 * cleared, so no failure is left behind for another caller to find. */
#include "notify/notify_message_internal.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define KEY_BITS 2048
#define CERTIFICATE_DAYS 3650
#define CERTIFICATE_NAME "trailhound SNS signing"

static bool fail(struct notify_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the message, then OpenSSL's first queued reason (if any) after ": ". */
static bool fail(struct notify_error *error, const char *format, ...)
{
    char reason[256] = "";
    unsigned long code = ERR_get_error();
    if (code)
        ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    if (!error)
        return false;
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    if (code && length >= 0 && (size_t)length < sizeof error->message)
        snprintf(error->message + length, sizeof error->message - (size_t)length, ": %s", reason);
    return false;
}

static const EVP_MD *signature_digest(int version)
{
    return version == 1 ? EVP_sha1() : version == 2 ? EVP_sha256() : NULL;
}

/* ---- random values ---- */

/* Random bytes from OpenSSL's generator, else the kernel's; false when neither gives any:
 * the caller must then not make an id or token (a guessable one is worse than none). */
static bool random_bytes(unsigned char *out, size_t length)
{
    if (length <= INT32_MAX && RAND_bytes(out, (int)length) == 1)
        return true;
    ERR_clear_error();
    size_t filled = 0;
    while (filled < length) {
        ssize_t got = getrandom(out + filled, length - filled, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        filled += (size_t)got;
    }
    return true;
}

bool notify_uuid(char out[37])
{
    unsigned char bytes[16];
    if (!random_bytes(bytes, sizeof bytes))
        return false;
    bytes[6] = (unsigned char)((bytes[6] & 0x0F) | 0x40); /* version 4 */
    bytes[8] = (unsigned char)((bytes[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    size_t at = 0;
    for (size_t i = 0; i < sizeof bytes; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[at++] = '-';
        at += (size_t)snprintf(out + at, 37 - at, "%02x", bytes[i]);
    }
    out[36] = '\0';
    return true;
}

bool notify_token(char out[129])
{
    unsigned char bytes[64];
    if (!random_bytes(bytes, sizeof bytes))
        return false;
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    out[128] = '\0';
    OPENSSL_cleanse(bytes, sizeof bytes);
    return true;
}

/* ---- the signing key ---- */

/* The text a memory BIO holds, malloc'ed. */
static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length < 0)
        return NULL;
    char *text = malloc((size_t)length + 1);
    if (!text)
        return NULL;
    memcpy(text, data, (size_t)length);
    text[length] = '\0';
    return text;
}

static bool add_extension(X509 *certificate, int nid, const char *value)
{
    X509V3_CTX context;
    X509V3_set_ctx(&context, certificate, certificate, NULL, NULL, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &context, nid, value);
    bool added = extension && X509_add_ext(certificate, extension, -1);
    X509_EXTENSION_free(extension);
    return added;
}

static bool set_random_serial(X509 *certificate)
{
    unsigned char bytes[16];
    random_bytes(bytes, sizeof bytes);
    bytes[0] &= 0x7F; /* a positive serial number */
    BIGNUM *number = BN_bin2bn(bytes, sizeof bytes, NULL);
    bool set = number && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
    BN_free(number);
    return set;
}

/* A self-signed certificate for `key`: a random serial, valid from now for ten years,
 * subject and issuer CN=trailhound SNS signing, for signatures only. */
static X509 *self_signed_certificate(EVP_PKEY *key)
{
    X509 *certificate = X509_new();
    if (!certificate)
        return NULL;
    X509_NAME *name = X509_get_subject_name(certificate);
    bool made =
        X509_set_version(certificate, X509_VERSION_3) && set_random_serial(certificate) &&
        X509_gmtime_adj(X509_getm_notBefore(certificate), 0) &&
        X509_gmtime_adj(X509_getm_notAfter(certificate), (long)CERTIFICATE_DAYS * 24 * 3600) &&
        X509_set_pubkey(certificate, key) &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"trailhound", -1,
                                   -1, 0) &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)CERTIFICATE_NAME, -1, -1, 0) &&
        X509_set_issuer_name(certificate, name) &&
        add_extension(certificate, NID_basic_constraints, "critical,CA:FALSE") &&
        add_extension(certificate, NID_key_usage, "critical,digitalSignature") &&
        X509_sign(certificate, key, EVP_sha256()) > 0;
    if (!made) {
        X509_free(certificate);
        return NULL;
    }
    return certificate;
}

static bool write_pems(EVP_PKEY *key, X509 *certificate, struct notify_signing_key *out)
{
    BIO *key_bio = BIO_new(BIO_s_mem()), *certificate_bio = BIO_new(BIO_s_mem());
    bool written = key_bio && certificate_bio &&
                   PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL) &&
                   PEM_write_bio_X509(certificate_bio, certificate);
    if (written) {
        out->private_key_pem = bio_text(key_bio);
        out->certificate_pem = bio_text(certificate_bio);
        written = out->private_key_pem && out->certificate_pem;
    }
    if (key_bio) {
        char *data = NULL;
        long length = BIO_get_mem_data(key_bio, &data);
        if (data && length > 0)
            OPENSSL_cleanse(data, (size_t)length);
    }
    BIO_free(key_bio);
    BIO_free(certificate_bio);
    return written;
}

bool notify_signing_key_create(struct notify_signing_key *key, struct notify_error *error)
{
    *key = (struct notify_signing_key){0};
    EVP_PKEY *pair = EVP_RSA_gen(KEY_BITS);
    if (!pair)
        return fail(error, "cannot make an RSA key");
    X509 *certificate = self_signed_certificate(pair);
    bool made = certificate && write_pems(pair, certificate, key);
    X509_free(certificate);
    EVP_PKEY_free(pair);
    if (!made) {
        notify_signing_key_free(key);
        return fail(error, "cannot make the signing certificate");
    }
    return true;
}

void notify_signing_key_free(struct notify_signing_key *key)
{
    if (key->private_key_pem) {
        OPENSSL_cleanse(key->private_key_pem, strlen(key->private_key_pem));
        free(key->private_key_pem);
    }
    free(key->certificate_pem);
    *key = (struct notify_signing_key){0};
}

/* ---- signing and verifying ---- */

static EVP_PKEY *read_private_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

static char *base64_encode(const unsigned char *bytes, size_t length)
{
    if (length > INT32_MAX / 2)
        return NULL;
    char *text = malloc(4 * ((length + 2) / 3) + 1);
    if (text)
        EVP_EncodeBlock((unsigned char *)text, bytes, (int)length);
    return text;
}

/* The raw signature of `data` (malloc'ed into *signature), or false. */
static bool sign_bytes(EVP_PKEY *key, const EVP_MD *digest, const char *data, size_t length,
                       unsigned char **signature, size_t *signature_length)
{
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    const unsigned char *bytes = (const unsigned char *)data;
    *signature = NULL;
    bool signed_ = context && EVP_DigestSignInit(context, NULL, digest, NULL, key) == 1 &&
                   EVP_DigestSign(context, NULL, signature_length, bytes, length) == 1 &&
                   (*signature = malloc(*signature_length)) &&
                   EVP_DigestSign(context, *signature, signature_length, bytes, length) == 1;
    EVP_MD_CTX_free(context);
    return signed_;
}

char *notify_sign_base64(const char *private_key_pem, int version, const char *data, size_t length,
                         struct notify_error *error)
{
    const EVP_MD *digest = signature_digest(version);
    if (!digest) {
        fail(error, "SignatureVersion %d: must be 1 or 2", version);
        return NULL;
    }
    EVP_PKEY *key = private_key_pem ? read_private_key(private_key_pem) : NULL;
    if (!key || !EVP_PKEY_is_a(key, "RSA")) {
        EVP_PKEY_free(key);
        fail(error, "the signing key is not an RSA private key in PEM");
        return NULL;
    }
    unsigned char *signature;
    size_t signature_length = 0;
    bool signed_ = sign_bytes(key, digest, data, length, &signature, &signature_length);
    char *text = signed_ ? base64_encode(signature, signature_length) : NULL;
    free(signature);
    EVP_PKEY_free(key);
    if (!text)
        fail(error, "cannot sign the message");
    return text;
}

/* Standard Base64 with padding and no whitespace; NULL when it is not that. */
static unsigned char *base64_decode(const char *text, size_t length, size_t *decoded)
{
    if (length == 0 || length % 4 != 0 || length > INT32_MAX)
        return NULL;
    for (size_t i = 0; i < length; i++) {
        bool padding_place =
            text[i] == '=' && i >= length - 2 && (i == length - 1 || text[length - 1] == '=');
        if (strchr("+/", text[i]) == NULL && !isalnum((unsigned char)text[i]) && !padding_place)
            return NULL;
    }
    unsigned char *bytes = malloc(length / 4 * 3 + 1);
    if (!bytes)
        return NULL;
    int written = EVP_DecodeBlock(bytes, (const unsigned char *)text, (int)length);
    if (written < 0) {
        free(bytes);
        return NULL;
    }
    size_t padding = (text[length - 1] == '=') + (text[length - 2] == '=');
    *decoded = (size_t)written - padding;
    return bytes;
}

static EVP_PKEY *certificate_public_key(const char *certificate_pem, struct notify_error *error)
{
    BIO *bio = BIO_new_mem_buf(certificate_pem, -1);
    X509 *certificate = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    EVP_PKEY *key = certificate ? X509_get_pubkey(certificate) : NULL;
    X509_free(certificate);
    if (!key || !EVP_PKEY_is_a(key, "RSA")) {
        EVP_PKEY_free(key);
        fail(error, "the signing certificate is not a PEM X.509 certificate with an RSA key");
        return NULL;
    }
    return key;
}

bool notify_verify_base64(const char *certificate_pem, int version, const char *data, size_t length,
                          const char *signature_base64, size_t signature_length,
                          struct notify_error *error)
{
    const EVP_MD *digest = signature_digest(version);
    if (!digest)
        return fail(error, "SignatureVersion %d: must be 1 or 2", version);
    size_t raw_length = 0;
    unsigned char *raw = base64_decode(signature_base64, signature_length, &raw_length);
    if (!raw)
        return fail(error, "Signature: not Base64");
    EVP_PKEY *key = certificate_pem ? certificate_public_key(certificate_pem, error) : NULL;
    if (!key) {
        free(raw);
        return certificate_pem ? false : fail(error, "no signing certificate");
    }
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    bool valid =
        context && EVP_DigestVerifyInit(context, NULL, digest, NULL, key) == 1 &&
        EVP_DigestVerify(context, raw, raw_length, (const unsigned char *)data, length) == 1;
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    free(raw);
    if (!valid)
        return fail(error, "Signature: does not match the message (SignatureVersion %d)", version);
    ERR_clear_error();
    return true;
}
