/*
 * test_pay_proto.c - the provider protocols as pure functions: the RSA2
 * signing string, signatures made with keys generated here, WeChat resource
 * encryption, amounts and order numbers.
 */
#include "pay_proto.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct keys {
    char dir[64];
    struct rsa_sig_key *priv, *pub, *other;
};

static int keys_setup(void **state)
{
    struct keys *k = calloc(1, sizeof(*k));
    snprintf(k->dir, sizeof(k->dir), "/tmp/zk-paytest-XXXXXX");
    if (mkdtemp(k->dir) == NULL)
        return -1;
    char a[128], b[128], c[128], d[128];
    snprintf(a, sizeof(a), "%s/p.pem", k->dir);
    snprintf(b, sizeof(b), "%s/q.pem", k->dir);
    snprintf(c, sizeof(c), "%s/o.pem", k->dir);
    snprintf(d, sizeof(d), "%s/oq.pem", k->dir);
    if (rsa_sig_generate(a, b) < 0 || rsa_sig_generate(c, d) < 0)
        return -1;
    k->priv = rsa_sig_key_load(a, true);
    k->pub = rsa_sig_key_load(b, false);
    k->other = rsa_sig_key_load(c, true);
    unlink(a), unlink(b), unlink(c), unlink(d), rmdir(k->dir);
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

static void test_alipay_sign_content_sorts_and_skips_sign_type_and_empty(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1024);
    struct pay_param p[] = {{"total_amount", "0.01"}, {"sign", "xx"}, {"app_id", "2021"},
                            {"sign_type", "RSA2"},    {"buyer", ""},  {"out_trade_no", "ZK1"}};
    assert_string_equal(pay_alipay_sign_content(&a, p, 6),
                        "app_id=2021&out_trade_no=ZK1&total_amount=0.01");
    arena_destroy(&a);
}

static struct pay_param *signed_notice(struct arena *a, const struct rsa_sig_key *key, int *n,
                                       const char *amount)
{
    struct pay_param *p = arena_calloc(a, sizeof(*p) * 12);
    struct pay_param base[] = {{"app_id", "2021000000000001"},
                               {"seller_id", "2088"},
                               {"out_trade_no", "ZK20261123ABCDEFGHJKMNPQRS"},
                               {"trade_no", "2026112322001400000000000001"},
                               {"trade_status", "TRADE_SUCCESS"},
                               {"total_amount", amount},
                               {"notify_id", "n1"}};
    memcpy(p, base, sizeof(base));
    char *form = pay_alipay_sign_form(a, key, p, 7);
    assert_non_null(form);
    return pay_form_parse(a, form, strlen(form), 12, &p) == 9 ? (*n = 9, p) : NULL;
}

static void test_alipay_notice_signed_by_provider_verifies(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    int n = 0;
    struct pay_param *p = signed_notice(&a, k->priv, &n, "50.00");
    assert_non_null(p);
    struct pay_notice out;
    const char *why = NULL;
    assert_int_equal(pay_alipay_notice_verify(&a, p, n, k->pub, &out, &why), 0);
    assert_string_equal(out.status, "success");
    assert_int_equal(out.amount_fen, 5000);
    assert_string_equal(out.merchant, "2021000000000001/2088");
    arena_destroy(&a);
}

static void test_alipay_notice_forged_or_altered_is_refused(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    int n = 0;
    struct pay_notice out;
    const char *why = NULL;
    struct pay_param *p = signed_notice(&a, k->other, &n, "50.00");
    assert_int_equal(pay_alipay_notice_verify(&a, p, n, k->pub, &out, &why), -EPERM);
    p = signed_notice(&a, k->priv, &n, "50.00");
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].key, "total_amount") == 0)
            p[i].value = "0.01"; /* altered in transit */
    assert_int_equal(pay_alipay_notice_verify(&a, p, n, k->pub, &out, &why), -EPERM);
    arena_destroy(&a);
}

static void test_alipay_response_signature_covers_the_raw_object(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    json_t *obj = json_pack("{s:s, s:s}", "code", "10000", "trade_status", "TRADE_SUCCESS");
    char *body = pay_alipay_response_build(&a, k->priv, "alipay_trade_query_response", obj);
    json_decref(obj);
    json_t *root = NULL;
    json_t *resp = pay_alipay_response_verify(body, strlen(body), "alipay_trade_query_response",
                                              k->pub, &root);
    assert_non_null(resp);
    assert_string_equal(json_string_value(json_object_get(resp, "code")), "10000");
    json_decref(root);
    char *bad = arena_strdup(&a, body);
    char *s = strstr(bad, "TRADE_SUCCESS");
    memcpy(s, "TRADE_CLOSED_", 13);
    assert_null(
        pay_alipay_response_verify(bad, strlen(bad), "alipay_trade_query_response", k->pub, &root));
    json_decref(root);
    arena_destroy(&a);
}

static void test_wechat_signature_covers_timestamp_nonce_and_body(void **state)
{
    struct keys *k = *state;
    struct arena a;
    arena_init(&a, 4096);
    char *sig = NULL;
    const char *body = "{\"id\":\"1\"}";
    assert_int_equal(pay_wechat_sign(&a, k->priv, "1700000000", "abc", body, strlen(body), &sig),
                     0);
    assert_true(pay_wechat_verify(k->pub, "1700000000", "abc", body, strlen(body), sig));
    assert_false(pay_wechat_verify(k->pub, "1700000001", "abc", body, strlen(body), sig));
    assert_false(pay_wechat_verify(k->pub, "1700000000", "abd", body, strlen(body), sig));
    assert_false(pay_wechat_verify(k->pub, "1700000000", "abc", "{}", 2, sig));
    arena_destroy(&a);
}

static void test_wechat_resource_decrypts_only_under_the_apiv3_key(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
    const unsigned char wrong[32] = "0123456789abcdef0123456789abcdeX";
    const char *tx = "{\"mchid\":\"1900000001\",\"appid\":\"wx1\",\"out_trade_no\":\"ZK1\","
                     "\"transaction_id\":\"42\",\"trade_state\":\"SUCCESS\","
                     "\"amount\":{\"total\":5000}}";
    char *body = pay_wechat_notice_build(&a, key, tx);
    struct pay_notice n;
    const char *res = NULL, *why = NULL;
    assert_int_equal(pay_wechat_notice_open(&a, body, strlen(body), key, &n, &res, &why), 0);
    assert_string_equal(n.status, "success");
    assert_int_equal(n.amount_fen, 5000);
    assert_string_equal(n.merchant, "wx1/1900000001");
    assert_int_equal(pay_wechat_notice_open(&a, body, strlen(body), wrong, &n, &res, &why), -EPERM);
    arena_destroy(&a);
}

static void test_key_serial_of_a_public_key_file_matches_its_private_key(void **state)
{
    struct keys *k = *state;
    char a[41], b[41], c[41];
    /* pub was read by walking its DER (serial stored), priv through the
     * encoder: the same SubjectPublicKeyInfo, the same serial. */
    assert_int_equal(rsa_sig_key_serial(k->pub, a), 0);
    assert_int_equal(rsa_sig_key_serial(k->priv, b), 0);
    assert_int_equal(rsa_sig_key_serial(k->other, c), 0);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 40);
}

static void test_key_load_refuses_a_public_key_where_a_private_one_is_needed(void **state)
{
    (void)state;
    char dir[] = "/tmp/zk-paykey-XXXXXX", a[64], b[64];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof(a), "%s/a.pem", dir);
    snprintf(b, sizeof(b), "%s/b.pem", dir);
    assert_int_equal(rsa_sig_generate(a, b), 0);
    assert_int_equal(rsa_sig_generate(a, b), -EEXIST);
    assert_null(rsa_sig_key_load(b, true));
    struct rsa_sig_key *k = rsa_sig_key_load(a, false); /* a private file yields its public half */
    assert_non_null(k);
    rsa_sig_key_free(k);
    FILE *fp = fopen(b, "w");
    fputs("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n", fp);
    fclose(fp);
    assert_null(rsa_sig_key_load(b, false));
    unlink(a), unlink(b), rmdir(dir);
}

static void test_amount_parse_accepts_only_yuan_with_two_decimals(void **state)
{
    (void)state;
    long long f = 0;
    assert_int_equal(pay_amount_parse("50", &f), 0);
    assert_int_equal(f, 5000);
    assert_int_equal(pay_amount_parse("0.01", &f), 0);
    assert_int_equal(f, 1);
    assert_int_equal(pay_amount_parse("12.3", &f), 0);
    assert_int_equal(f, 1230);
    assert_int_equal(pay_amount_parse("1.005", &f), -EINVAL);
    assert_int_equal(pay_amount_parse("-1", &f), -EINVAL);
    assert_int_equal(pay_amount_parse("1e3", &f), -EINVAL);
    assert_int_equal(pay_amount_parse("1.", &f), -EINVAL);
    assert_int_equal(pay_amount_parse("", &f), -EINVAL);
}

static void test_order_numbers_are_printable_distinct_and_valid(void **state)
{
    (void)state;
    char a[PAY_ORDER_NO_LEN + 1], b[PAY_ORDER_NO_LEN + 1];
    pay_order_no_new(a);
    pay_order_no_new(b);
    assert_int_equal(strlen(a), 26);
    assert_true(pay_order_no_valid(a));
    assert_string_not_equal(a, b);
    assert_false(pay_order_no_valid("ZK20261123ABCDEFGHJKMNPQRI")); /* I is not Crockford */
    assert_false(pay_order_no_valid("ZK2026112"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alipay_sign_content_sorts_and_skips_sign_type_and_empty),
        cmocka_unit_test(test_alipay_notice_signed_by_provider_verifies),
        cmocka_unit_test(test_alipay_notice_forged_or_altered_is_refused),
        cmocka_unit_test(test_alipay_response_signature_covers_the_raw_object),
        cmocka_unit_test(test_wechat_signature_covers_timestamp_nonce_and_body),
        cmocka_unit_test(test_wechat_resource_decrypts_only_under_the_apiv3_key),
        cmocka_unit_test(test_key_serial_of_a_public_key_file_matches_its_private_key),
        cmocka_unit_test(test_key_load_refuses_a_public_key_where_a_private_one_is_needed),
        cmocka_unit_test(test_amount_parse_accepts_only_yuan_with_two_decimals),
        cmocka_unit_test(test_order_numbers_are_printable_distinct_and_valid),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
