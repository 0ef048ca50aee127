/*
 * test_face_identities.c - verification quality on the kit's identities
 * (8 people x 5 pre-cropped faces): every same-person pair and every
 * different-person pair is scored. The shipped thresholds must never pass a
 * stranger automatically and never fail the same person outright (those
 * pairs land in the review band). Prints TAR and FAR at each threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "face_test_util.h"

#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#define PEOPLE 8
#define SHOTS  5

static const char *const people[PEOPLE] = {"amy",   "bernadette", "howard",  "leonard",
                                           "penny", "raj",        "sheldon", "stuart"};

struct rates {
    int same, diff;       /* pair counts */
    int same_ok, diff_ok; /* accepted same pairs, accepted different pairs */
    float same_max, diff_min;
};

static void score_pairs(float desc[PEOPLE][SHOTS][FACE_DESCRIPTOR], float threshold,
                        struct rates *r)
{
    memset(r, 0, sizeof(*r));
    r->diff_min = 1e9f;
    for (int p = 0; p < PEOPLE; p++)
        for (int s = 0; s < SHOTS; s++)
            for (int q = p; q < PEOPLE; q++)
                for (int t = (q == p ? s + 1 : 0); t < SHOTS; t++) {
                    float d = face_distance(desc[p][s], desc[q][t]);
                    if (p == q) {
                        r->same++;
                        r->same_ok += d <= threshold;
                        r->same_max = fmaxf(r->same_max, d);
                    } else {
                        r->diff++;
                        r->diff_ok += d <= threshold;
                        r->diff_min = fminf(r->diff_min, d);
                    }
                }
}

static void report(const char *what, float threshold, const struct rates *r)
{
    printf("%-28s threshold %.3f: TAR %.4f (%d/%d same-person pairs accepted), "
           "FAR %.4f (%d/%d different-person pairs accepted)\n",
           what, threshold, (double)r->same_ok / r->same, r->same_ok, r->same,
           (double)r->diff_ok / r->diff, r->diff_ok, r->diff);
}

static void test_face_identity_thresholds_pass_no_stranger_and_fail_no_same_person(void **state)
{
    FACE_SKIP_WITHOUT_KIT(state);
    struct face_fixture *fx = *state;
    static float desc[PEOPLE][SHOTS][FACE_DESCRIPTOR];
    for (int p = 0; p < PEOPLE; p++)
        for (int s = 0; s < SHOTS; s++) {
            char rel[256];
            snprintf(rel, sizeof(rel), "identities/%s/%s%d.png", people[p], people[p], s + 1);
            struct face_image img;
            face_test_image(fx, rel, &img);
            assert_int_equal(face_descriptor(fx->eng, &img, NULL, desc[p][s]), 0);
            face_image_free(&img);
        }

    struct zk_config cfg;
    config_defaults(&cfg);
    float pass = (float)cfg.face_pass_milli / 1000.0f;
    float review = (float)cfg.face_review_milli / 1000.0f;

    struct rates r;
    score_pairs(desc, pass, &r);
    assert_int_equal(r.same, PEOPLE * SHOTS * (SHOTS - 1) / 2);
    assert_int_equal(r.diff, PEOPLE * SHOTS * (PEOPLE * SHOTS - 1) / 2 - r.same);
    printf("same-person distances up to %.4f; different-person distances from %.4f\n", r.same_max,
           r.diff_min);

    /*
     * The highest threshold that accepts no different-person pair must still
     * accept nearly every same-person pair (the sets overlap only for a few
     * pairs of one poorly lit person).
     */
    float zero_far = nextafterf(r.diff_min, 0.0f);
    struct rates best;
    score_pairs(desc, zero_far, &best);
    report("best zero-FAR threshold", zero_far, &best);
    assert_int_equal(best.diff_ok, 0);
    assert_true((double)best.same_ok / best.same >= 0.95);

    /* Automatic pass never accepts another person, with a margin. */
    report("[face] pass_threshold", pass, &r);
    assert_int_equal(r.diff_ok, 0);
    assert_true(pass <= r.diff_min - 0.05f);
    assert_true((double)r.same_ok / r.same >= 0.70);
    /* No same-person pair is failed outright: the rest go to staff review. */
    struct rates rv;
    score_pairs(desc, review, &rv);
    report("[face] review_threshold", review, &rv);
    assert_int_equal(rv.same_ok, rv.same);
    struct rates trained;
    score_pairs(desc, FACE_TRAINED_THRESHOLD, &trained);
    report("dlib trained threshold", FACE_TRAINED_THRESHOLD, &trained);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_face_identity_thresholds_pass_no_stranger_and_fail_no_same_person),
    };
    return cmocka_run_group_tests(tests, face_fixture_setup, face_fixture_teardown);
}
