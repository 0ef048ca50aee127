/*
 * redis_keys.h - every Redis key zikao writes, in one place: its name (a
 * printf format), what it holds, who writes it and how long it lives. Redis
 * is transport and cache; PostgreSQL keeps the truth, so losing any of these
 * costs a login, a code or a retry, never a record.
 */
#ifndef ZK_REDIS_KEYS_H
#define ZK_REDIS_KEYS_H

/* ---- sessions (server/api/api_auth.c) -------------------------------------- */
/* hash {cand, created, csrf, cred, ok} of sha256(token) hex; idle expiry */
#define RK_SESSION "zikao:sess:%s"
/* set of a candidate's session keys (to end them all); session_max_hours */
#define RK_CANDIDATE_SESSIONS "zikao:cand:%lld:sess"

/* ---- staff sessions (server/api/staff_auth.c) ------------------------------ */
/* hash {staff, created, csrf, cred, ok} of sha256(token) hex; [staff] idle expiry */
#define RK_STAFF_SESSION "zikao:staffsess:%s"
/* set of a staff member's session keys (to end them all); [staff] session_max_hours */
#define RK_STAFF_SESSIONS "zikao:staff:%lld:sess"
/* hash {staff, cred, secret, tries} of a second-factor enrolment, by token; 10 minutes */
#define RK_STAFF_ENROL "zikao:staff:enrol:%s"

/* ---- proving presence (server/api/verify.c) --------------------------------- */
/* sha256 of a captcha's answer, by captcha id; 5 minutes, taken by the first check */
#define RK_CAPTCHA "zikao:captcha:%s"
/* hash {hash, tries} of an SMS code, by purpose and phone; 5 minutes */
#define RK_SMS_CODE "zikao:sms:%s:%s"
/* an SMS code went to this phone lately; [auth] sms_resend_seconds */
#define RK_SMS_COOLDOWN "zikao:sms:cool:%s"

/* ---- accounts (server/api/accounts.c, login_guard.c) ------------------------ */
/* JSON {id_number, name} behind an activation token; 15 minutes */
#define RK_ACTIVATION "zikao:activate:%s"
/* password checks from clients the person never used; [auth] lockout_seconds */
#define RK_LOGIN_ANY "zikao:login:%s:any"
/* password checks from one remembered browser (person, device); the same */
#define RK_LOGIN_DEVICE "zikao:login:%s:d:%s"
/* the browsers a person logged in from (set of device digests); 180 days */
#define RK_LOGIN_DEVICES "zikao:login:%s:dev"

/* ---- rate limits (server/api/api_util.c) ------------------------------------ */
/* a counter per limit and subject, e.g. "rl:login:ip:1.2.3.4"; its window */
#define RK_RATE "zikao:%s"

/* ---- operators (server_notify.c, workers/jobs/job_worker.c, zikaoctl status) */
/* sorted set of server processes "HOST:PID" by last report (ms) */
#define RK_SERVERS "zikao:servers"
/* a server process's record (JSON, instances.h); 10 s */
#define RK_SERVER_PREFIX "zikao:server:"

/* ---- job queues (shared/queue.c builds these) ------------------------------- */
/* the stream of queue NAME; NAME:published (set), NAME:stats (hash),
 * NAME:workers (sorted set) and NAME:workers:info (hash): see queue.h */
#define RK_QUEUE_PREFIX "zikao:q:"

#endif
