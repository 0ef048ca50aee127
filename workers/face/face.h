/*
 * face.h - zikao's face engine: decoded images in, face boxes, 68-point
 * landmarks and 128-value descriptors out.
 *
 * The engine runs, in plain C with OpenBLAS, the networks whose weights ship
 * in the npm package @vladmandic/face-api (the face-api.js models):
 * TinyFaceDetector (416x416 input), SsdMobilenetv1 (512x512, optional),
 * FaceLandmark68Net (112x112; optionally its tiny variant) and
 * FaceRecognitionNet (the dlib ResNet, 150x150). Results match the reference
 * implementation to within the tolerances the parity tests assert.
 *
 * Image I/O is separate from the networks: face_image_load/face_image_decode
 * produce a packed RGB buffer, and any caller that already holds decoded
 * pixels (the photo worker) fills a struct face_image itself.
 *
 * Thread safety: an engine's weights are read-only once face_engine_load
 * returns, and every inference call borrows a scratch block of its own from
 * the engine's locked pool (returned when the call ends; the pool holds one
 * block per thread that ever ran at once, ~11 MB each at input size 416, ~27
 * MB once it has served an SSD call), so one engine may be shared by any
 * number of threads. face_engine_free must not race
 * with calls. OpenBLAS's own thread count is set by the environment
 * (OPENBLAS_NUM_THREADS); workers run with 1.
 *
 * Errors are negative errno values: -ENOENT (file missing), -EINVAL (bad
 * argument or malformed model/image), -ENOTSUP (unsupported format).
 */
#ifndef ZK_FACE_H
#define ZK_FACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FACE_LANDMARKS  68
#define FACE_DESCRIPTOR 128
/* Distance under which the dlib ResNet was trained to call two faces one person. */
#define FACE_TRAINED_THRESHOLD 0.6f

/* Packed 8-bit RGB, row-major, width*height*3 bytes, top row first. */
struct face_image {
    int width;
    int height;
    uint8_t *rgb;
};

/* A rectangle in image pixels; x, y is the top-left corner. */
struct face_box {
    float x, y, width, height;
};

struct face_point {
    float x, y;
};

struct face_detection {
    struct face_box box;
    float score; /* detector confidence, (0.5, 1) for returned faces */
};

/* Everything face_analyze finds about one face. */
struct face_info {
    struct face_detection det;
    struct face_point landmarks[FACE_LANDMARKS];
};

struct face_engine;

/*
 * Decodes a PNG or JPEG (recognised by magic bytes, never by name) into img,
 * which the caller releases with face_image_free. Grey and palette images are
 * expanded to RGB, alpha is dropped, 16-bit samples are cut to 8. A JPEG's
 * EXIF orientation is applied, so phone photos come out upright (as browsers
 * show them). Returns 0, -ENOTSUP for other formats or
 * -EINVAL for a corrupt file; img is untouched on error.
 */
int face_image_decode(const void *data, size_t len, struct face_image *img);
/* Reads path and decodes it as above; -errno when the file cannot be read. */
int face_image_load(const char *path, struct face_image *img);
/* Frees the pixels and zeroes img; safe on a zeroed image. */
void face_image_free(struct face_image *img);

/*
 * Loads the three models from dir, the face-api "model" folder holding
 * tiny_face_detector_model-weights_manifest.json, face_landmark_68_model-...
 * and face_recognition_model-... with their .bin files. Every tensor is
 * checked against the name and shape the networks need and against the byte
 * count the manifest declares; on any mismatch it fails with -EINVAL and a
 * one-line reason in err (which may be NULL). On success *out owns the
 * weights until face_engine_free.
 */
int face_engine_load(const char *dir, struct face_engine **out, char *err, size_t errsz);
void face_engine_free(struct face_engine *eng);

/*
 * Identifies the loaded weights: "face-api <version> <16 hex digits of a
 * BLAKE2b hash over all manifests and weight files>". Stored with every
 * verification result so a later model change is visible.
 */
const char *face_engine_version(const struct face_engine *eng);

/*
 * Runs the tiny face detector at input size 416 (score threshold 0.5, NMS at
 * IoU 0.4) and writes up to cap detections, best score first, into out.
 * Returns the number of faces found (which may exceed cap: only cap are
 * written) or a negative error.
 */
int face_detect(const struct face_engine *eng, const struct face_image *img,
                struct face_detection *out, size_t cap);

/*
 * Like face_detect with an explicit input size (a multiple of 32, 32..1024)
 * and score threshold in (0, 1).
 */
int face_detect_ex(const struct face_engine *eng, const struct face_image *img, int input_size,
                   float score_threshold, struct face_detection *out, size_t cap);

/*
 * Runs SSD MobileNet v1 (face-api.js's ssdMobilenetv1: input 512x512,
 * non-maximum suppression at IoU 0.5, at most 100 faces) and writes up to
 * cap detections scoring above min_confidence (face-api's default is 0.5),
 * best first, into out. About ten times the tiny detector's work, but it
 * finds small faces in wide pictures and faces seen in a mirror that the
 * tiny one misses. Returns the number found (which may exceed cap),
 * -ENOTSUP when the models folder had no ssd_mobilenetv1_model, -EINVAL.
 */
int face_detect_ssd(const struct face_engine *eng, const struct face_image *img,
                    float min_confidence, struct face_detection *out, size_t cap);
/* True when the engine loaded ssd_mobilenetv1_model (face_detect_ssd works). */
bool face_engine_has_ssd(const struct face_engine *eng);

/*
 * Locates 68 landmarks (dlib/iBUG order: jaw 0-16, brows 17-26, nose 27-35,
 * eyes 36-47, mouth 48-67) in image coordinates for the face inside box
 * (NULL: the whole image is the face). The box is floored to whole pixels
 * and clipped to the image first; -EINVAL if nothing is left. As in
 * face-api.js the points are placed relative to the box's own (unfloored)
 * origin, i.e. up to one pixel right/down of the floored crop.
 */
int face_landmarks(const struct face_engine *eng, const struct face_image *img,
                   const struct face_box *box, struct face_point pts[FACE_LANDMARKS]);

/*
 * The same with FaceLandmark68TinyNet (faster, less precise). -ENOTSUP when
 * the models directory has no face_landmark_68_tiny_model.
 */
int face_landmarks_tiny(const struct face_engine *eng, const struct face_image *img,
                        const struct face_box *box, struct face_point pts[FACE_LANDMARKS]);

/*
 * The crop face-api.js feeds the recognition net for a face with these
 * landmarks (dlib alignment: a square of side mean(eye-to-mouth)/0.45 placed
 * around the eyes' and mouth's centre), clipped to the image. Cannot fail
 * for finite landmarks; the box may be empty for degenerate ones.
 */
struct face_box face_aligned_box(const struct face_point pts[FACE_LANDMARKS], int img_width,
                                 int img_height);

/*
 * Computes the 128-value descriptor of the face inside box (NULL: the whole
 * image, as for pre-cropped 150x150 faces). The crop is padded to a square
 * (centred) and resized to 150x150. Returns 0 or -EINVAL for an empty crop.
 */
int face_descriptor(const struct face_engine *eng, const struct face_image *img,
                    const struct face_box *box, float desc[FACE_DESCRIPTOR]);

/*
 * Descriptor of a located face the way face-api.js computes it: the
 * dlib-aligned crop of its landmarks (face_aligned_box), then
 * face_descriptor. Returns 0 or -EINVAL when the crop is empty.
 */
int face_descriptor_aligned(const struct face_engine *eng, const struct face_image *img,
                            const struct face_point pts[FACE_LANDMARKS],
                            float desc[FACE_DESCRIPTOR]);

/*
 * The whole pipeline on one image: detect (416), then landmarks for each
 * face. Writes up to cap faces, largest box first; returns the number found
 * (possibly more than cap) or a negative error. Descriptors are left to the
 * caller (face_descriptor_aligned), as only some faces need one.
 */
int face_analyze(const struct face_engine *eng, const struct face_image *img, struct face_info *out,
                 size_t cap);

/*
 * Geometry of a face from its 68 landmarks, in image pixels, for photo rules
 * (eye line, face width, centring). "Left"/"right" are as seen in the image.
 */
struct face_geometry {
    struct face_point eye_left, eye_right; /* centres of points 36-41 and 42-47 */
    struct face_point mouth;               /* centre of points 48-67 */
    struct face_point centre;              /* mean of the eye and mouth centres */
    float eye_distance;                    /* between the eye centres */
    float eye_angle_deg;                   /* eye line against the horizontal, + = clockwise */
    float face_width;                      /* jaw ends, point 0 to point 16 */
    float chin_y;                          /* point 8 */
};

/* Fills g from pts. Cannot fail. */
void face_geometry_of(const struct face_point pts[FACE_LANDMARKS], struct face_geometry *g);

/* Euclidean distance between two descriptors. */
float face_distance(const float a[FACE_DESCRIPTOR], const float b[FACE_DESCRIPTOR]);

enum face_decision {
    FACE_PASS,   /* distance <= pass threshold: same person, no human needed */
    FACE_REVIEW, /* between the thresholds: staff decide */
    FACE_FAIL,   /* distance > review threshold: different people */
};

/* Applies the thresholds (pass <= review). */
enum face_decision face_decide(float distance, float pass_threshold, float review_threshold);
/* "pass", "review" or "fail". */
const char *face_decision_name(enum face_decision d);

#endif
