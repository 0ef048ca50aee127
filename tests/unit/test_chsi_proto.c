/*
 * test_chsi_proto.c - the CHSI prior-education protocol as pure functions:
 * notifications signed with keys generated here (a forged or altered one is
 * refused), every field rule of a notification naming the field at fault,
 * the QR code's text, the simulator's key files.
 */
#include "chsi_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct keys {
    struct rsa_sig_key *priv, *pub, *other;
};

static int keys_setup(void **state)
{
    struct keys *k = calloc(1, sizeof(*k));
    char dir[] = "/tmp/zk-chsitest-XXXXXX", a[128], b[128], c[128], d[128];
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(a, sizeof(a), "%s/p.pem", dir);
    snprintf(b, sizeof(b), "%s/q.pem", dir);
    snprintf(c, sizeof(c), "%s/o.pem", dir);
    snprintf(d, sizeof(d), "%s/oq.pem", dir);
    if (rsa_sig_generate(a, b) < 0 || rsa_sig_generate(c, d) < 0)
        return -1;
    k->priv = rsa_sig_key_load(a, true);
    k->pub = rsa_sig_key_load(b, false);
    k->other = rsa_sig_key_load(c, true);
    unlink(a), unlink(b), unlink(c), unlink(d), rmdir(dir);
    *state = k;
    return k->priv && k->pub && k->other ? 0 : -1;
}

static int keys_teardown(void **state)
{
    struct keys *k = *state;
    rsa_sig_key_free(k->priv);
    rsa_sig_key_free(k->pub);
    rsa_sig_key_free(k->other);
    free(k);
    return 0;
}

static struct chsi_notice authorised(void)
{
    struct chsi_notice n = {
        .notify_id = "n0000001",
        .app_id = "zikao-dev",
        .event = "authorised",
        .token = TOKEN,
        .sent_at = "2026-11-20T10:00:00+08:00",
        .authorised = true,
        .record = {"王小明", "14010519900307135X", "男", "山西大学", "专科", "法学", "2015-07-01",
                   "101081201505001234"},
    };
    return n;
}

static void test_notice_signed_by_the_provider_verifies_and_parses(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    struct chsi_notice n = authorised();
    char *body = chsi_notice_build(&a, &n);
    char *sig = chsi_notice_sign(&a, k->priv, body, strlen(body));
    assert_true(chsi_notice_verify(k->pub, body, strlen(body), sig));
    struct chsi_notice out;
    const char *field = NULL, *why = NULL;
    assert_int_equal(chsi_notice_parse(&a, body, strlen(body), "zikao-dev", &out, &field, &why), 0);
    assert_true(out.authorised);
    assert_string_equal(out.notify_id, "n0000001");
    assert_string_equal(out.record.name, "王小明");
    assert_string_equal(out.record.gender, "男");
    assert_string_equal(out.record.graduated_on, "2015-07-01");
    assert_string_equal(chsi_record_json(&a, &out.record),
                        "{\"name\":\"王小明\",\"id_number\":\"14010519900307135X\",\"gender\":"
                        "\"男\",\"school\":\"山西大学\",\"level\":\"专科\",\"major\":\"法学\","
                        "\"graduated_on\":\"2015-07-01\",\"certificate_no\":"
                        "\"101081201505001234\"}");
    arena_destroy(&a);
}

static void test_notice_forged_or_altered_is_refused(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    struct chsi_notice n = authorised();
    char *body = chsi_notice_build(&a, &n);
    char *forged = chsi_notice_sign(&a, k->other, body, strlen(body));
    assert_false(chsi_notice_verify(k->pub, body, strlen(body), forged));
    char *sig = chsi_notice_sign(&a, k->priv, body, strlen(body));
    char *altered = arena_strdup(&a, body);
    memcpy(strstr(altered, "男"), "女", strlen("女")); /* the gender changed in transit */
    assert_false(chsi_notice_verify(k->pub, altered, strlen(altered), sig));
    assert_false(chsi_notice_verify(k->pub, body, strlen(body), "not base64!"));
    assert_false(chsi_notice_verify(k->pub, body, strlen(body), NULL));
    /* A public key cannot sign. */
    assert_null(chsi_notice_sign(&a, k->pub, body, strlen(body)));
    arena_destroy(&a);
}

/* Parses body; returns the field named at fault (NULL when it parsed). */
static const char *fault(struct arena *a, const char *body)
{
    struct chsi_notice out;
    const char *field = NULL, *why = NULL;
    int rc = chsi_notice_parse(a, body, strlen(body), "zikao-dev", &out, &field, &why);
    if (rc == 0)
        return NULL;
    assert_int_equal(rc, -EINVAL);
    assert_non_null(why);
    return field ? field : "";
}

/* The authorised notice with "key":"from" replaced by "key":"to" in its text. */
static const char *with(struct arena *a, const char *from, const char *to)
{
    struct chsi_notice n = authorised();
    char *body = chsi_notice_build(a, &n);
    char *p = strstr(body, from);
    assert_non_null(p);
    return arena_printf(a, "%.*s%s%s", (int)(p - body), body, to, p + strlen(from));
}

static void test_notice_fields_are_checked_naming_the_field(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 8192);
    assert_null(fault(&a, with(&a, "\"event\":\"authorised\"", "\"event\":\"authorised\"")));
    assert_string_equal(fault(&a, "[1]"), "");
    assert_string_equal(fault(&a, "{\"a\":1,\"a\":2}"), "");
    assert_string_equal(fault(&a, with(&a, "n0000001", "n1")), "notify_id");
    assert_string_equal(fault(&a, with(&a, "zikao-dev", "other")), "app_id");
    assert_string_equal(fault(&a, with(&a, "\"authorised\"", "\"paid\"")), "event");
    assert_string_equal(fault(&a, with(&a, TOKEN, "ABC")), "token");
    assert_string_equal(
        fault(&a, with(&a, "\"sent_at\":\"2026-11-20T10:00:00+08:00\"", "\"sent_at\":7")),
        "sent_at");
    assert_string_equal(fault(&a, with(&a, "\"王小明\"", "\"\"")), "record.name");
    assert_string_equal(fault(&a, with(&a, "\"王小明\"", "\"王\\n明\"")), "record.name");
    assert_string_equal(fault(&a, with(&a, "14010519900307135X", "1401051990030713")),
                        "record.id_number");
    assert_string_equal(fault(&a, with(&a, "14010519900307135X", "14010519900307135x")),
                        "record.id_number");
    assert_string_equal(fault(&a, with(&a, "\"男\"", "\"M\"")), "record.gender");
    assert_string_equal(fault(&a, with(&a, "2015-07-01", "2015-02-29")), "record.graduated_on");
    assert_string_equal(fault(&a, with(&a, "2015-07-01", "2015/07/01")), "record.graduated_on");
    assert_string_equal(fault(&a, with(&a, "101081201505001234", "10108 12")),
                        "record.certificate_no");
    assert_string_equal(fault(&a, with(&a, ",\"major\":\"法学\"", "")), "record.major");
    assert_string_equal(fault(&a, with(&a, ",\"record\":{", ",\"other\":{")), "record");
    arena_destroy(&a);
}

static void test_scanned_notice_needs_no_record(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct chsi_notice n = authorised();
    n.event = "scanned";
    n.authorised = false;
    char *body = chsi_notice_build(&a, &n);
    assert_null(strstr(body, "record"));
    assert_null(fault(&a, body));
    arena_destroy(&a);
}

static void test_notice_over_the_size_limit_is_refused(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 16384);
    char *big = arena_alloc(&a, CHSI_NOTICE_MAX + 2);
    memset(big, ' ', CHSI_NOTICE_MAX + 1);
    big[0] = '{';
    big[CHSI_NOTICE_MAX] = '}';
    big[CHSI_NOTICE_MAX + 1] = '\0';
    assert_string_equal(fault(&a, big), "");
    arena_destroy(&a);
}

static void test_qr_text_carries_app_id_and_token(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024);
    assert_string_equal(chsi_qr_text(&a, "https://p.example/auth", "zk", TOKEN),
                        "https://p.example/auth?app_id=zk&token=" TOKEN);
    assert_string_equal(chsi_qr_text(&a, "https://p.example/auth?v=2", "zk", TOKEN),
                        "https://p.example/auth?v=2&app_id=zk&token=" TOKEN);
    assert_true(chsi_token_valid(TOKEN));
    assert_false(chsi_token_valid("0123"));
    assert_false(chsi_token_valid(NULL));
    arena_destroy(&a);
}

static void test_keygen_writes_a_pair_that_signs_and_verifies_and_keeps_it(void **state)
{
    (void)state;
    char dir[] = "/tmp/zk-chsikeys-XXXXXX", sub[64], priv[128], pub[128];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/keys", dir);
    snprintf(priv, sizeof(priv), "%s/%s", sub, CHSI_KEY_PRIVATE);
    snprintf(pub, sizeof(pub), "%s/%s", sub, CHSI_KEY_PUBLIC);
    assert_int_equal(chsi_keygen(sub, NULL), 0);
    struct stat st;
    assert_int_equal(stat(priv, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    struct rsa_sig_key *k = rsa_sig_key_load(priv, true), *p = rsa_sig_key_load(pub, false);
    struct arena a;
    arena_init(&a, 1024);
    char *sig = chsi_notice_sign(&a, k, "{}", 2);
    assert_true(chsi_notice_verify(p, "{}", 2, sig));
    /* A second run keeps the pair. */
    assert_int_equal(chsi_keygen(sub, NULL), 0);
    struct rsa_sig_key *p2 = rsa_sig_key_load(pub, false);
    assert_true(chsi_notice_verify(p2, "{}", 2, sig));
    rsa_sig_key_free(k);
    rsa_sig_key_free(p);
    rsa_sig_key_free(p2);
    arena_destroy(&a);
    unlink(priv), unlink(pub), rmdir(sub), rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_signed_by_the_provider_verifies_and_parses),
        cmocka_unit_test(test_notice_forged_or_altered_is_refused),
        cmocka_unit_test(test_notice_fields_are_checked_naming_the_field),
        cmocka_unit_test(test_scanned_notice_needs_no_record),
        cmocka_unit_test(test_notice_over_the_size_limit_is_refused),
        cmocka_unit_test(test_qr_text_carries_app_id_and_token),
        cmocka_unit_test(test_keygen_writes_a_pair_that_signs_and_verifies_and_keeps_it),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
