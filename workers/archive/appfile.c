/*
 * appfile.c - reading an application file and writing its verdict (see
 * appfile.h). Owns nothing past a call.
 */
#include "appfile.h"
#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

int64_t appfile_payload_id(const void *payload_json)
{
    json_t *id = json_object_get((const json_t *)payload_json, "application_file_id");
    return json_is_integer(id) && json_integer_value(id) > 0 ? (int64_t)json_integer_value(id) : 0;
}

int appfile_read(PGconn *conn, int64_t id, struct appfile *f, char *err, size_t errsz)
{
    char idtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, id);
    const char *v[] = {idtxt};
    memset(f, 0, sizeof(*f));
    f->id = id;
    /* Binary results: the bytes as stored, no hex round trip. */
    PGresult *r = PQexecParams(conn,
                               "SELECT af.state = 'checking', fl.data FROM application_files af "
                               "JOIN files fl ON fl.id = af.file_id WHERE af.id = $1::bigint",
                               1, NULL, v, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errsz, "reading application file %" PRId64 ": %s", id,
                 PQresultErrorMessage(r));
        PQclear(r);
        return -EIO;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return -ENOENT;
    }
    f->checking = *PQgetvalue(r, 0, 0) != 0; /* binary boolean: one byte */
    f->len = (size_t)PQgetlength(r, 0, 1);
    f->data = zk_malloc(f->len > 0 ? f->len : 1);
    memcpy(f->data, PQgetvalue(r, 0, 1), f->len);
    PQclear(r);
    return 0;
}

int appfile_verdict(PGconn *conn, int64_t id, bool accepted, const char *reason,
                    const char *detail_json, char *err, size_t errsz)
{
    char idtxt[24];
    snprintf(idtxt, sizeof(idtxt), "%" PRId64, id);
    const char *v[] = {idtxt, accepted ? "t" : "f", reason, detail_json};
    PGresult *r = PQexecParams(
        conn, "SELECT application_file_checked($1::bigint, $2::boolean, $3, $4::jsonb)", 4, NULL, v,
        NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errsz, "writing the verdict on application file %" PRId64 ": %s", id,
                 PQresultErrorMessage(r));
        PQclear(r);
        return -EIO;
    }
    PQclear(r);
    return 0;
}
