/*
 * identity.h - identity verification (身份认证) as the `photo` and `face`
 * queues carry it out: the photo kinds of an attempt, the face pairs that
 * must match, how an attempt's state follows from its checks, the face
 * finding policy both queues share, and the attempt's rows in PostgreSQL.
 *
 * Owns: the decision rules (identity_decide, a pure function), the pairs
 * (identity_pairs), the per-thread worker state of both queues (face engine,
 * photo specifications, a blocking connection for reads) and the SQL that
 * writes check rows and settles an attempt. Does not own the photo rules
 * (workers/photo/) nor the networks (face.h).
 *
 * An attempt (identity_attempts) holds one photo per kind in its `photos`
 * JSON; the server creates it with one identity_photo_checks row per kind
 * and enqueues one `photo` job per kind and one `face` job. Each job writes
 * its results and settles the attempt in the job's done transaction, under
 * the attempt's row lock, so the last job to finish decides:
 *   pending  while any photo check or face pair has no result;
 *   failed   if a photo check failed or a face pair is "fail";
 *   review   if nothing failed but a face pair is "review" (district staff);
 *   passed   only when every photo check passed and every pair is "pass":
 *            the candidate becomes verified and a new candidate gets an
 *            exam ID (issue_exam_id).
 * A decided attempt is never changed again by a job (staff may have acted
 * on it), and a check row keeps its first result: running a job twice
 * changes nothing.
 */
#ifndef ZK_IDENTITY_H
#define ZK_IDENTITY_H

#include "arena.h"
#include "config.h"
#include "face.h"
#include "job_sync.h"
#include "photo.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The photos of an attempt. */
enum identity_kind {
    IDENTITY_REGISTRATION = 0, /* the ID photo (Shanxi 彩色证件照, Tianjin 报名照片) */
    IDENTITY_IDCARD,           /* the ID card's portrait side */
    IDENTITY_HOLDING,          /* the candidate holding the ID card */
    IDENTITY_KINDS
};

/* "registration", "idcard", "holding". */
const char *identity_kind_name(enum identity_kind k);
/* The kind named name, or -EINVAL. */
int identity_kind_parse(const char *name);
/* Faces the photo of kind must show: 2 for holding (person and card), else 1. */
int identity_kind_faces(enum identity_kind k);
/* The photo's title for candidates: the spec's title for (province, kind)
 * when there is one, else a built-in name. Never NULL. */
const char *identity_kind_title(const struct photo_specs *specs, const char *province,
                                enum identity_kind k);
/* The Chinese name of a photo rule (e.g. "背景颜色"), for reasons. */
const char *identity_rule_title(const char *rule);
/* What a rule measured, in words a candidate reads beside the allowed range
 * (the rule's "required"): "50.9KB", "宽 480 像素，高 640 像素", "清晰度 110.9",
 * "距上边沿 130 像素"; into out, which is returned; NULL (out empty) when the
 * rule (a photo worker's rule object) has no value. */
const char *identity_rule_measured(const json_t *rule, char *out, size_t n);

/* ---- face pairs ----------------------------------------------------------------- */

#define IDENTITY_PAIRS_MAX 3
#define IDENTITY_PAIR_NAME 48

/* Which face of a photo: the only one, or in a holding photo the person
 * (the larger face) or the card's portrait (the smaller). */
enum identity_face_role { IDENTITY_FACE_ONLY = 0, IDENTITY_FACE_PERSON, IDENTITY_FACE_CARD };

struct identity_pair {
    char name[IDENTITY_PAIR_NAME]; /* "registration~idcard", "holding_card~idcard" */
    enum identity_kind a, b;
    enum identity_face_role a_role, b_role;
};

/*
 * The pairs an attempt holding the kinds marked in have[] must match:
 * registration~idcard when it has both; with a holding photo, its person
 * and its card each against the registration photo, or against the ID
 * card's portrait when there is no registration photo (an enrolled Shanxi
 * candidate). Writes them to out and returns how many (0..3). Cannot fail.
 */
int identity_pairs(const bool have[IDENTITY_KINDS], struct identity_pair out[IDENTITY_PAIRS_MAX]);

/* ---- the attempt's state ------------------------------------------------------------ */

enum identity_state { IDENTITY_PENDING = 0, IDENTITY_PASSED, IDENTITY_FAILED, IDENTITY_REVIEW };

/* "pending", "passed", "failed", "review"; identity_state_parse: -EINVAL if unknown. */
const char *identity_state_name(enum identity_state s);
int identity_state_parse(const char *name);

/* One thing an attempt's state depends on. */
enum identity_outcome {
    IDENTITY_OUT_PENDING = 0, /* no result yet */
    IDENTITY_OUT_PASSED,
    IDENTITY_OUT_REVIEW, /* face pairs only: staff decide */
    IDENTITY_OUT_FAILED,
};

struct identity_finding {
    bool face; /* a face pair; otherwise a photo check (one finding per failed rule) */
    enum identity_outcome outcome;
    const char *reason; /* for candidates, when failed or review; may be NULL */
};

/*
 * The state of an attempt with these findings (see the top of this file)
 * and, appended to reasons (a JSON array), the messages behind it: for
 * failed the reasons of every failed finding, for review those of every
 * review finding, each once, in order. An attempt with no photo finding or
 * no face finding can never pass: it fails with a reason saying photos are
 * missing. Pure: no I/O, cannot fail.
 */
enum identity_state identity_decide(const struct identity_finding *f, size_t n, json_t *reasons);

/*
 * Appends to f (room for cap) the findings of one photo check: its state
 * ("pending", "passed", "failed"; NULL when the row is missing, i.e.
 * pending) and rules (its JSON array, as photo_result_json writes them;
 * may be NULL). A failed check gives one finding per failed rule, reason
 * "TITLE（RULE）：MESSAGE" allocated in arena, or one generic finding when no
 * rule says failed. Returns the number appended (at most cap). Pure.
 */
size_t identity_photo_findings(const char *title, const char *state, const json_t *rules,
                               struct arena *arena, struct identity_finding *f, size_t cap);

/* ---- finding faces -------------------------------------------------------------------- */

#define IDENTITY_FACES_MAX 8
/* Pixels the face engine gets from a photo (photo_decode_rgb shrinks to it). */
#define IDENTITY_FACE_PIXELS 3000000

enum identity_detector {
    IDENTITY_DETECTOR_TINY = 0, /* TinyFaceDetector */
    IDENTITY_DETECTOR_SSD,      /* SSD MobileNet v1 */
};

/* "tiny_face_detector" or "ssd_mobilenetv1". */
const char *identity_detector_name(enum identity_detector d);

struct identity_faces {
    int count;                       /* faces found (may exceed IDENTITY_FACES_MAX) */
    int input_size;                  /* detector input size that found them */
    enum identity_detector detector; /* which detector found them */
    int n; /* entries in face[]: min(count, IDENTITY_FACES_MAX), largest box first */
    struct face_info face[IDENTITY_FACES_MAX]; /* in the decoded image's pixels */
};

/*
 * Finds the faces of a photo that should show `expected` of them: the tiny
 * detector at input 416, and while it finds fewer, again at 608 and 832 (a
 * small face, such as the portrait on a held ID card, needs the larger
 * input). The first size that finds at least `expected` faces is kept, else
 * the one that found the most. When that is still fewer than expected and
 * the engine has SSD MobileNet v1, it runs too (confidence 0.5), and its
 * faces are kept if it finds more: it finds small faces in wide pictures
 * and faces seen in a mirror that the tiny detector misses, at about ten
 * times the cost of the tiny detector at 416 (BENCHMARKS.md), which only
 * such photos pay. Every kept face gets its 68
 * landmarks. Returns 0 or the engine's negative error.
 */
int identity_find_faces(const struct face_engine *eng, const struct face_image *img, int expected,
                        struct identity_faces *out);

/* What the photo rules need from found faces: the count, and the largest
 * face's landmarks and box multiplied by scale (photo px per image px). */
void identity_photo_face(const struct identity_faces *f, double scale, struct photo_face *out);

/*
 * Checks one photo of kind against spec the way the `photo` queue does:
 * when a rule of the spec needs faces, decodes the photo through the photo
 * engine's gate (IDENTITY_FACE_PIXELS), finds its faces
 * (identity_find_faces, expecting the spec's `faces` or the kind's count)
 * and hands the largest face's landmarks to the rules; runs every rule of
 * the spec; then a rule left pending because no face was found becomes
 * skipped (face_count says why), never passed. faces (may be NULL)
 * receives what was found (count -1 when the face engine did not run or
 * the photo could not be decoded). Returns 0 or the face engine's negative
 * error; a photo that breaks rules is a result, not an error.
 */
int identity_check_photo(const struct face_engine *eng, const struct photo_specs *specs,
                         const struct photo_spec *spec, enum identity_kind kind,
                         const uint8_t *data, size_t len, struct photo_result *res,
                         struct identity_faces *faces);

/* ---- the worker thread state of both queues ------------------------------------------------ */

/* What every thread of a `photo` or `face` worker shares, loaded once per
 * process: the face engine (one engine serves any number of threads, see
 * face.h) and the photo specifications, both read-only once loaded. */
struct identity_shared {
    struct face_engine *eng;
    struct photo_specs specs;
    float pass_threshold, review_threshold;
};

/* One worker thread's state: borrowed pointers into identity_shared and its
 * own connections. */
struct identity_worker {
    const struct zk_config *cfg;
    struct face_engine *eng;         /* shared */
    const struct photo_specs *specs; /* shared */
    struct sync_conns conns;         /* reads in the run step (outside the done transaction) */
    float pass_threshold, review_threshold;
};

/* process_init / process_free of the `photo` and `face` queues: loads the
 * face models from [paths] models_dir (-ENOENT with a logged reason when
 * unset or unusable) and the photo specifications ([paths] photo_specs or
 * the built-in ones). */
int identity_process_init(void **shared, const struct zk_config *cfg);
void identity_process_free(void *shared);

/* thread_init / thread_free: a thread's state over the shared part. */
int identity_worker_init(void **state, void *shared, const struct zk_config *cfg);
void identity_worker_free(void *state);

/* ---- the attempt's rows ---------------------------------------------------------------------- */

struct identity_attempt {
    int64_t id;
    int64_t candidate_id;
    bool candidate_new;           /* candidates.kind = 'new' */
    enum identity_state state;    /* as stored */
    int64_t file[IDENTITY_KINDS]; /* the photos; 0 where the attempt has none */
    bool has[IDENTITY_KINDS];     /* file[k] != 0 */
};

/*
 * Reads attempt id with its candidate; with lock, the attempt row is locked
 * FOR UPDATE (inside a transaction: the done transaction of a job). Returns
 * 0, -ENOENT when there is no such attempt, -EINVAL when its photos are
 * malformed, -EIO on a database error; err says which.
 */
int identity_attempt_read(PGconn *conn, int64_t id, bool lock, struct identity_attempt *a,
                          char *err, size_t errsz);

/*
 * One of the attempt's checks will never complete (its job is dead): a
 * still-pending attempt fails with a reason telling the candidate to submit
 * again. what names the check ("照片检查", "人脸比对"). Returns 0 or -EIO
 * (err says why). Idempotent: a decided attempt is left as it is.
 */
int identity_attempt_abandon(PGconn *conn, int64_t attempt_id, const char *what, char *err,
                             size_t errsz);

/* Reads the bytes of files.id = file_id into *data (zk_malloc'ed, caller
 * frees). Returns 0, -ENOENT or -EIO; err says which. */
int identity_file_read(PGconn *conn, int64_t file_id, uint8_t **data, size_t *len, char *err,
                       size_t errsz);

/* Records a photo check's result (state passed or failed, rules a JSON
 * array) unless the row already holds one. Returns 0 or -EIO. */
int identity_photo_check_write(PGconn *conn, int64_t attempt_id, enum identity_kind k,
                               int64_t file_id, bool passed, const char *rules_json, char *err,
                               size_t errsz);

/* Records a face pair's result (distance < 0: none could be measured)
 * unless the row already holds one. Returns 0 or -EIO. */
int identity_face_check_write(PGconn *conn, int64_t attempt_id, const char *pair, double distance,
                              enum face_decision decision, const char *reason, const char *model,
                              char *err, size_t errsz);

/*
 * Recomputes the state of attempt a (read with lock in this transaction)
 * from its check rows and, if it is still pending and now decided, stores
 * the state, the reasons and decided_at; on passed the candidate becomes
 * verified and a new candidate is issued an exam ID. *state (may be NULL)
 * receives the attempt's state afterwards. Returns 0 or -EIO.
 */
int identity_attempt_settle(PGconn *conn, const struct identity_attempt *a,
                            const struct photo_specs *specs, const char *province,
                            enum identity_state *state, char *err, size_t errsz);

#endif
