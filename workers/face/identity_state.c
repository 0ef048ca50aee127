/*
 * identity_state.c - the pure part of identity verification: photo kinds
 * and their titles, the face pairs an attempt must match, the findings of a
 * photo check, and the attempt's state decided from its findings. No I/O;
 * unit-tested in tests/test_identity_state.c.
 */
#include "identity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[IDENTITY_KINDS] = {"registration", "idcard", "holding"};
static const char *const kind_titles[IDENTITY_KINDS] = {"证件照", "身份证人像面照片",
                                                        "手持身份证照"};

const char *identity_kind_name(enum identity_kind k)
{
    return (unsigned)k < IDENTITY_KINDS ? kind_names[k] : "unknown";
}

int identity_kind_parse(const char *name)
{
    for (int k = 0; name != NULL && k < IDENTITY_KINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -EINVAL;
}

int identity_kind_faces(enum identity_kind k)
{
    return k == IDENTITY_HOLDING ? 2 : 1;
}

const char *identity_kind_title(const struct photo_specs *specs, const char *province,
                                enum identity_kind k)
{
    if ((unsigned)k >= IDENTITY_KINDS)
        return "照片";
    const struct photo_spec *spec =
        specs != NULL ? photo_spec_find(specs, province, kind_names[k]) : NULL;
    return spec != NULL && spec->title[0] != '\0' ? spec->title : kind_titles[k];
}

const char *identity_rule_title(const char *rule)
{
    static const struct {
        const char *rule, *title;
    } titles[] = {
        {"format", "文件格式"},
        {"file_size", "文件大小"},
        {"decode", "图片读取"},
        {"rotation", "照片方向"},
        {"dimensions", "照片尺寸"},
        {"orientation", "横竖方向"},
        {"aspect", "宽高比例"},
        {"background_colour", "背景颜色"},
        {"background_uniform", "背景均匀"},
        {"sharpness", "清晰度"},
        {"exposure", "曝光"},
        {"card_outline", "证件轮廓"},
        {"card_corners", "证件四角"},
        {"face_count", "人脸数量"},
        {"head_top", "头顶位置"},
        {"eye_line", "眼睛位置"},
        {"face_width", "脸部宽度"},
        {"face_centre", "人像居中"},
        {"symmetry", "左右对称"},
    };
    for (size_t i = 0; rule != NULL && i < sizeof(titles) / sizeof(titles[0]); i++)
        if (strcmp(rule, titles[i].rule) == 0)
            return titles[i].title;
    return rule != NULL ? rule : "检查项";
}

/* "50.9KB", "1.50MB". */
static void bytes_words(double b, char *out, size_t n)
{
    if (b >= 1024.0 * 1024.0)
        snprintf(out, n, "%.2fMB", b / (1024.0 * 1024.0));
    else
        snprintf(out, n, "%.1fKB", b / 1024.0);
}

/* A number as a person writes it: no trailing zeros, at most `dec` decimals. */
static void number_words(double v, int dec, char *out, size_t n)
{
    snprintf(out, n, "%.*f", dec, v);
    if (strchr(out, '.') != NULL) {
        size_t len = strlen(out);
        while (len > 0 && out[len - 1] == '0')
            out[--len] = '\0';
        if (len > 0 && out[len - 1] == '.')
            out[--len] = '\0';
    }
}

const char *identity_rule_measured(const json_t *r, char *out, size_t n)
{
    const char *rule = json_string_value(json_object_get(r, "rule"));
    const json_t *value = json_object_get(r, "value");
    out[0] = '\0';
    if (rule == NULL || value == NULL || json_is_null(value))
        return NULL;
    if (json_is_string(value)) {
        const char *v = json_string_value(value);
        static const struct {
            const char *value, *words;
        } names[] = {{"jpeg", "JPG 格式"},  {"png", "PNG 格式"},   {"gif", "GIF 格式"},
                     {"bmp", "BMP 格式"},   {"webp", "WEBP 格式"}, {"tiff", "TIFF 格式"},
                     {"heic", "HEIC 格式"}, {"pdf", "PDF 文件"},   {"unknown", "无法识别"},
                     {"portrait", "竖向"},  {"landscape", "横向"}, {"square", "正方形"}};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(v, names[i].value) == 0) {
                snprintf(out, n, "%s", names[i].words);
                return out;
            }
        int w, h;
        if (strcmp(rule, "dimensions") == 0 && sscanf(v, "%dx%d", &w, &h) == 2)
            snprintf(out, n, "宽 %d 像素，高 %d 像素", w, h);
        else
            snprintf(out, n, "%s", v);
        return out;
    }
    if (!json_is_number(value))
        return NULL;
    double v = json_number_value(value);
    char num[48];
    number_words(v, 2, num, sizeof(num));
    if (strcmp(rule, "file_size") == 0)
        bytes_words(v, out, n);
    else if (strcmp(rule, "decode") == 0)
        snprintf(out, n, "%.1f 万像素", v / 10000.0);
    else if (strcmp(rule, "rotation") == 0)
        snprintf(out, n, v == 1 ? "无旋转或镜像" : "方向标记 %.0f（旋转或镜像）", v);
    else if (strcmp(rule, "aspect") == 0 || strcmp(rule, "card_outline") == 0)
        snprintf(out, n, "宽高比 %.3f", v);
    else if (strcmp(rule, "background_colour") == 0)
        snprintf(out, n, "与要求颜色的色差 %.1f", v);
    else if (strcmp(rule, "background_uniform") == 0)
        snprintf(out, n, "边缘色差 %.1f", v);
    else if (strcmp(rule, "sharpness") == 0)
        snprintf(out, n, "清晰度 %.1f", v);
    else if (strcmp(rule, "exposure") == 0)
        snprintf(out, n, "过亮或过暗像素 %.1f%%", v * 100.0);
    else if (strcmp(rule, "card_corners") == 0)
        snprintf(out, n, "%.0f 个角在画面内", v);
    else if (strcmp(rule, "face_count") == 0)
        snprintf(out, n, "%.0f 张人脸", v);
    else if (strcmp(rule, "head_top") == 0 || strcmp(rule, "eye_line") == 0)
        snprintf(out, n, "距上边沿 %s 像素", num);
    else if (strcmp(rule, "face_width") == 0)
        snprintf(out, n, "%s 像素", num);
    else if (strcmp(rule, "face_centre") == 0)
        snprintf(out, n, "偏离中线 %s 像素", num);
    else if (strcmp(rule, "symmetry") == 0)
        snprintf(out, n, "不对称度 %s", num);
    else
        snprintf(out, n, "%s", num);
    return out;
}

static void pair_set(struct identity_pair *p, enum identity_kind a, enum identity_face_role ar,
                     enum identity_kind b, enum identity_face_role br)
{
    static const char *const role_suffix[] = {"", "_person", "_card"};
    p->a = a;
    p->b = b;
    p->a_role = ar;
    p->b_role = br;
    snprintf(p->name, sizeof(p->name), "%s%s~%s%s", kind_names[a], role_suffix[ar], kind_names[b],
             role_suffix[br]);
}

int identity_pairs(const bool have[IDENTITY_KINDS], struct identity_pair out[IDENTITY_PAIRS_MAX])
{
    int n = 0;
    if (have[IDENTITY_REGISTRATION] && have[IDENTITY_IDCARD])
        pair_set(&out[n++], IDENTITY_REGISTRATION, IDENTITY_FACE_ONLY, IDENTITY_IDCARD,
                 IDENTITY_FACE_ONLY);
    if (have[IDENTITY_HOLDING]) {
        int ref = have[IDENTITY_REGISTRATION] ? IDENTITY_REGISTRATION
                  : have[IDENTITY_IDCARD]     ? IDENTITY_IDCARD
                                              : -1;
        if (ref >= 0) {
            pair_set(&out[n++], IDENTITY_HOLDING, IDENTITY_FACE_PERSON, (enum identity_kind)ref,
                     IDENTITY_FACE_ONLY);
            pair_set(&out[n++], IDENTITY_HOLDING, IDENTITY_FACE_CARD, (enum identity_kind)ref,
                     IDENTITY_FACE_ONLY);
        }
    }
    return n;
}

const char *identity_state_name(enum identity_state s)
{
    switch (s) {
    case IDENTITY_PENDING:
        return "pending";
    case IDENTITY_PASSED:
        return "passed";
    case IDENTITY_FAILED:
        return "failed";
    case IDENTITY_REVIEW:
        return "review";
    }
    return "pending";
}

int identity_state_parse(const char *name)
{
    static const enum identity_state all[] = {IDENTITY_PENDING, IDENTITY_PASSED, IDENTITY_FAILED,
                                              IDENTITY_REVIEW};
    for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, identity_state_name(all[i])) == 0)
            return (int)all[i];
    return -EINVAL;
}

size_t identity_photo_findings(const char *title, const char *state, const json_t *rules,
                               struct arena *arena, struct identity_finding *f, size_t cap)
{
    if (cap == 0)
        return 0;
    if (state != NULL && strcmp(state, "passed") == 0) {
        f[0] = (struct identity_finding){false, IDENTITY_OUT_PASSED, NULL};
        return 1;
    }
    if (state == NULL || strcmp(state, "failed") != 0) {
        f[0] = (struct identity_finding){false, IDENTITY_OUT_PENDING, NULL};
        return 1;
    }
    size_t n = 0;
    size_t i;
    const json_t *r;
    json_array_foreach(rules, i, r)
    {
        if (n == cap)
            break;
        const char *verdict = json_string_value(json_object_get(r, "verdict"));
        if (verdict == NULL || strcmp(verdict, "failed") != 0)
            continue;
        const char *rule = json_string_value(json_object_get(r, "rule"));
        const char *msg = json_string_value(json_object_get(r, "message"));
        f[n++] = (struct identity_finding){
            false, IDENTITY_OUT_FAILED,
            arena_printf(arena, "%s（%s）：%s", title, identity_rule_title(rule),
                         msg != NULL && msg[0] != '\0' ? msg : "不符合要求。")};
    }
    if (n == 0)
        f[n++] = (struct identity_finding){
            false, IDENTITY_OUT_FAILED,
            arena_printf(arena, "%s未通过照片检查，请按照片要求重新拍摄后上传。", title)};
    return n;
}

/* Appends reason to the array unless it is already there. */
static void reason_add(json_t *reasons, const char *reason)
{
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r)
    {
        if (strcmp(json_string_value(r), reason) == 0)
            return;
    }
    json_array_append_new(reasons, json_string(reason));
}

enum identity_state identity_decide(const struct identity_finding *f, size_t n, json_t *reasons)
{
    bool photos = false, faces = false, failed = false, review = false;
    for (size_t i = 0; i < n; i++) {
        if (f[i].outcome == IDENTITY_OUT_PENDING)
            return IDENTITY_PENDING;
        photos |= !f[i].face;
        faces |= f[i].face;
        failed |= f[i].outcome == IDENTITY_OUT_FAILED;
        review |= f[i].outcome == IDENTITY_OUT_REVIEW;
    }
    if (!photos || !faces) {
        reason_add(reasons, "本次认证缺少需要比对的照片，无法完成认证。请按要求上传全部照片后重新"
                            "提交。");
        return IDENTITY_FAILED;
    }
    if (!failed && !review)
        return IDENTITY_PASSED;
    enum identity_outcome wanted = failed ? IDENTITY_OUT_FAILED : IDENTITY_OUT_REVIEW;
    for (size_t i = 0; i < n; i++)
        if (f[i].outcome == wanted)
            reason_add(reasons, f[i].reason != NULL
                                    ? f[i].reason
                                    : (failed ? "照片未通过认证，请按要求重新上传。"
                                              : "人脸比对结果需要县区招办人工审核，请耐心等待。"));
    return failed ? IDENTITY_FAILED : IDENTITY_REVIEW;
}
