/*
 * verify.h - proving a person is present (picture captcha) and owns a phone
 * (SMS code), as steps other handlers chain through.
 *
 * Captcha: GET /api/v1/captcha answers {"captcha_id", "image" (PNG data
 * URL), "expires_in"}; Redis keeps only the SHA-256 of the answer for five
 * minutes, and the first check consumes it, right or wrong.
 *
 * SMS codes: POST /api/v1/sms/send {phone, purpose, captcha_id, captcha}
 * sends a 6-digit code valid five minutes for one purpose (register,
 * forgot_exam_id, reset_password, change_phone, activate). At most 5
 * checks, no resend within [auth] sms_resend_seconds, at most
 * sms_per_phone_day per phone per day and sms_per_ip_hour per client IP.
 * The message goes to the provider [auth] sms_provider names
 * (sms_provider.h; the default writes it to sms_outbox, where operators and
 * tests read it); the log line masks the number.
 */
#ifndef ZK_VERIFY_H
#define ZK_VERIFY_H

#include "api.h"
#include "api_util.h"

/* Checks and consumes a captcha; on failure answers 422 CAPTCHA_WRONG (field
 * "captcha") and does not call next. */
void verify_captcha(struct http_request *req, const char *captcha_id, const char *answer,
                    api_next_fn next);

/*
 * Checks an SMS code for (phone, purpose) and consumes it when right. Every
 * check counts as one of the code's tries before the comparison, atomically
 * in Redis, so parallel guesses cannot exceed the limit. On failure answers
 * 422 (SMS_CODE_WRONG / SMS_CODE_EXPIRED / SMS_CODE_LOCKED, field
 * "sms_code") or 503, and does not call next.
 */
void verify_sms_code(struct http_request *req, const char *phone, const char *purpose,
                     const char *code, api_next_fn next);

/*
 * The same check without consuming the code: for a step whose other details
 * may still be wrong (a corrected retry must not need a new code). The try
 * still counts. Once the details are right, verify_sms_code_consume takes the
 * code: next runs only if it was still there (another request may have used
 * it meanwhile: 422 SMS_CODE_EXPIRED).
 */
void verify_sms_code_peek(struct http_request *req, const char *phone, const char *purpose,
                          const char *code, api_next_fn next);
void verify_sms_code_consume(struct http_request *req, const char *phone, const char *purpose,
                             api_next_fn next);

extern const struct api_module api_verify_module;

#endif
