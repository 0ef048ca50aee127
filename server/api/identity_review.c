/*
 * identity_review.c - the manual identity verification queue (review.h):
 * claims whose attempts went to `review` or kept failing, decided by the
 * claim's district office. Approving is what `zikaoctl candidates verify`
 * does (account_verify(claim, 'manual'), in identity_review_apply of
 * schema/0015_staff.sql): a new candidate gets an exam ID, the other claims
 * on the ID number lose. Returning asks for new photos; refusing tells the
 * person what to bring to the office. GET /api/v1/me/identity shows the
 * decision.
 */
#include "review.h"

static void identity_decide(struct api_txn *tx, const struct review_decision *d,
                            api_txn_step_fn done)
{
    const char *values[] = {d->item, d->decision};
    api_txn_query(tx, "SELECT identity_review_apply($1::bigint, $2)::text", 2, values, done);
}

const struct review_queue review_identity_queue = {
    .kind = "identity",
    .title = "身份认证",
    .offices = REVIEW_BY_DISTRICT,
    .decisions = "[\"approve\",\"return\",\"refuse\"]",
    .detail_fn = "identity_review_detail",
    .decide = identity_decide,
    .next_step =
        {
            "现在可以登录办理各项业务。",
            "请按要求重新拍摄照片，登录后在“身份认证”中上传并重新提交。",
            "请携带本人有效身份证件原件到考籍管理区县招办办理人工认证。",
        },
};
