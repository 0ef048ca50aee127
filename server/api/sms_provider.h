/*
 * sms_provider.h - where SMS messages go.
 *
 * verify.c composes the message (code, validity, purpose) and hands it to
 * the provider named by [auth] sms_provider. A provider takes the message
 * for delivery and then calls done(req), or answers the request itself
 * (503) when it cannot. The one provider today is "outbox": messages are
 * rows of sms_outbox, where operators and tests read them (and the log
 * line masks the number). A provider for an HTTP gateway is one more entry
 * in the table in sms_provider.c, and one more choice of the setting.
 */
#ifndef ZK_SMS_PROVIDER_H
#define ZK_SMS_PROVIDER_H

#include "api.h"
#include "api_util.h"

struct sms_message {
    const char *phone;   /* 11 digits */
    const char *purpose; /* register, activate, forgot_exam_id, ... */
    const char *body;    /* the text the person reads */
};

struct sms_provider {
    const char *name;
    /* msg's strings live in the request arena; done runs at most once. */
    void (*send)(struct http_request *req, const struct sms_message *msg, api_next_fn done);
};

/* The provider called name, or NULL (the configuration refuses other names). */
const struct sms_provider *sms_provider_find(const char *name);

#endif
