/* test_config.c - INI parsing, validation, environment overrides, reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/zikao-test-config-%d.conf", (int)getpid());
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_config_defaults_are_valid(void **state)
{
    struct zk_config c;
    char err[256];
    assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_int_equal(c.header_bytes, 16384);
    assert_int_equal(c.workers, 1);
    assert_string_equal(c.environment, "development");
    assert_string_equal(c.auth_sms_provider, "outbox");
}

static void test_config_file_values_and_size_suffix(void **state)
{
    struct zk_config c;
    char err[256];
    const char *p = write_tmp("[server]\nlisten = 0.0.0.0:9000\nworkers = auto\n"
                              "[limits]\nbody_bytes = 2m\nheader_bytes = 32k\n"
                              "[log]\nlevel = debug\n");
    assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
    assert_string_equal(c.listen, "0.0.0.0:9000");
    assert_int_equal(c.workers, 0);
    assert_int_equal(c.body_bytes, 2 * 1024 * 1024);
    assert_int_equal(c.header_bytes, 32 * 1024);
    assert_string_equal(c.log_level, "debug");
    unlink(p);
}

static void test_config_unknown_key_names_file_and_line(void **state)
{
    struct zk_config c;
    char err[256];
    const char *p = write_tmp("[server]\nlisten = 127.0.0.1:1\n\n[limits]\nheder_bytes = 1\n");
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, ":5:"));
    assert_non_null(strstr(err, "heder_bytes"));
    unlink(p);
}

static void test_config_out_of_range_is_refused(void **state)
{
    struct zk_config c;
    char err[256];
    const char *p = write_tmp("[database]\npool_size = 0\n");
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "pool_size"));
    assert_non_null(strstr(err, "outside"));
    unlink(p);
    p = write_tmp("[server]\nenvironment = staging\n");
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "development|test|production"));
    unlink(p);
    /* Only SMS providers that exist: a message must never vanish. */
    p = write_tmp("[auth]\nsms_provider = gateway\n");
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "sms_provider"));
    assert_non_null(strstr(err, "outbox"));
    unlink(p);
    p = write_tmp("[limits]\nidle_timeout_ms = soon\n");
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    unlink(p);
}

static void test_config_environment_overrides_file(void **state)
{
    struct zk_config c;
    char err[256];
    const char *p = write_tmp("[database]\npool_size = 4\n");
    setenv("ZIKAO_DATABASE_POOL_SIZE", "12", 1);
    setenv("ZIKAO_REDIS_HOST", "/run/redis.sock", 1);
    assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
    assert_int_equal(c.db_pool_size, 12);
    assert_string_equal(c.redis_host, "/run/redis.sock");
    setenv("ZIKAO_DATABASE_POOL_SIZE", "many", 1);
    assert_true(config_load(&c, p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "ZIKAO_DATABASE_POOL_SIZE"));
    unsetenv("ZIKAO_DATABASE_POOL_SIZE");
    unsetenv("ZIKAO_REDIS_HOST");
    unlink(p);
}

static void test_config_missing_file_is_an_error(void **state)
{
    struct zk_config c;
    char err[256];
    assert_true(config_load(&c, "/nonexistent/zikao.conf", err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "/nonexistent/zikao.conf"));
}

static void test_config_reload_copies_only_reloadable(void **state)
{
    struct zk_config live, fresh;
    config_defaults(&live);
    config_defaults(&fresh);
    fresh.header_bytes = 8192; /* reloadable */
    fresh.db_pool_size = 99;   /* needs restart */
    snprintf(fresh.log_level, sizeof(fresh.log_level), "debug");
    int fixed = -1;
    config_apply_reload(&live, &fresh, &fixed);
    assert_int_equal(live.header_bytes, 8192);
    assert_string_equal(live.log_level, "debug");
    assert_int_equal(live.db_pool_size, 8);
    assert_int_equal(fixed, 1);
}

static void test_config_listen_split(void **state)
{
    struct zk_config c;
    config_defaults(&c);
    char host[64];
    int port;
    snprintf(c.listen, sizeof(c.listen), "[::1]:8443");
    assert_int_equal(config_listen_split(&c, host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8443);
    snprintf(c.listen, sizeof(c.listen), "nohost");
    assert_true(config_listen_split(&c, host, sizeof(host), &port) < 0);
    snprintf(c.listen, sizeof(c.listen), "h:70000");
    assert_true(config_listen_split(&c, host, sizeof(host), &port) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults_are_valid),
        cmocka_unit_test(test_config_file_values_and_size_suffix),
        cmocka_unit_test(test_config_unknown_key_names_file_and_line),
        cmocka_unit_test(test_config_out_of_range_is_refused),
        cmocka_unit_test(test_config_environment_overrides_file),
        cmocka_unit_test(test_config_missing_file_is_an_error),
        cmocka_unit_test(test_config_reload_copies_only_reloadable),
        cmocka_unit_test(test_config_listen_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
