/*
 * chsi_proto.h - the prior-education authorisation protocol of 学信网 (CHSI),
 * as pure functions over text: what a QR code carries, what the provider's
 * notifications hold and how they are signed, and the key files.
 *
 * The candidate's page shows a QR code whose text is
 *   <auth_url>?app_id=<our app id>&token=<64 lowercase hex>
 * The provider's app scans it; the provider then POSTs notifications to our
 * callback, each a JSON object (UTF-8, at most CHSI_NOTICE_MAX bytes):
 *   {"notify_id": "[A-Za-z0-9_-]{8,64}", unique per notification
 *    "app_id": "...",                    ours, as the QR code said
 *    "event": "scanned" | "authorised",
 *    "token": "<the QR code's token>",
 *    "sent_at": "...",                   the provider's time, as text
 *    "record": {                         authorised only: the record verified
 *      "name", "id_number" (17 digits + digit or X), "gender" (男 | 女),
 *      "school", "level" (专科, 本科 ...), "major",
 *      "graduated_on" (YYYY-MM-DD), "certificate_no"}}
 * with the header
 *   Chsi-Signature: base64(SHA256withRSA(the body's bytes))
 * by the provider's private key; we verify with its public key
 * (CHSI_KEY_PUBLIC in [chsi] key_dir). Unknown fields are ignored.
 *
 * Both sides use it: the server (QR codes, verifying callbacks, the
 * simulator's notices) and the `chsi` worker (the simulator's signatures,
 * its keys). Strings returned live in the caller's arena. Thread-safe; no
 * I/O except reading or writing key files where a path is given.
 */
#ifndef ZK_CHSI_PROTO_H
#define ZK_CHSI_PROTO_H

#include "arena.h"
#include "config.h"
#include "rsa_sig.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Key files in [chsi] key_dir. */
#define CHSI_KEY_PUBLIC  "chsi_public.pem"  /* the provider's: verifies its notifications */
#define CHSI_KEY_PRIVATE "chsi_private.pem" /* the simulator's: signs them */

#define CHSI_SIGNATURE_HEADER "Chsi-Signature"
#define CHSI_NOTICE_MAX       8192 /* bytes of a notification's body */
#define CHSI_TOKEN_LEN        64   /* lowercase hex: 256 random bits */

/* The record the provider verified (all strings, as sent). */
struct chsi_record {
    const char *name, *id_number, *gender, *school, *level, *major, *graduated_on, *certificate_no;
};

struct chsi_notice {
    const char *notify_id, *app_id, *event, *token, *sent_at;
    bool authorised; /* event "authorised": record is filled */
    struct chsi_record record;
};

/* True for a token as we issue them (CHSI_TOKEN_LEN lowercase hex digits). */
bool chsi_token_valid(const char *token);

/*
 * Parses and checks a notification body (JSON object, UTF-8, fields as above,
 * app_id equal to ours). Returns 0 with out filled, or -EINVAL with *field
 * (the JSON field at fault, e.g. "record.gender") and *why (a Chinese
 * sentence saying what is wrong).
 */
int chsi_notice_parse(struct arena *a, const char *body, size_t len, const char *app_id,
                      struct chsi_notice *out, const char **field, const char **why);

/* The body of a notification (compact JSON, fields in the order above). */
char *chsi_notice_build(struct arena *a, const struct chsi_notice *n);

/* The record as a JSON object's text (what callbacks store). */
char *chsi_record_json(struct arena *a, const struct chsi_record *r);

/* The Chsi-Signature value for body, or NULL (not a private key). */
char *chsi_notice_sign(struct arena *a, const struct rsa_sig_key *key, const char *body,
                       size_t len);
/* True when sig (a Chsi-Signature value) is key's signature of body. */
bool chsi_notice_verify(const struct rsa_sig_key *key, const char *body, size_t len,
                        const char *sig);

/* The QR code's text: auth_url with app_id and token added to its query. */
char *chsi_qr_text(struct arena *a, const char *auth_url, const char *app_id, const char *token);

/* Where QR codes lead: [chsi] auth_url, else the simulator's page under
 * config_public_url. */
char *chsi_auth_url(struct arena *a, const struct zk_config *cfg);
/* Our callback's URL under config_public_url (what the provider is told). */
char *chsi_notify_url(struct arena *a, const struct zk_config *cfg);
/* "<key_dir>/<name>". */
char *chsi_key_path(struct arena *a, const struct zk_config *cfg, const char *name);

/*
 * Writes the simulator's key pair (CHSI_KEY_PRIVATE, CHSI_KEY_PUBLIC) into
 * dir (created 0700) unless both exist. out (may be NULL) gets one line.
 * Returns 0 or negative errno.
 */
int chsi_keygen(const char *dir, FILE *out);

#endif
