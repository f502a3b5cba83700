/*
 * be_validate.h: everything the API accepts from a client is checked here,
 * before it reaches storage: request bodies (UTF-8, nesting depth, JSON
 * syntax, the fields of a project or a document) and query parameters.
 *
 * On rejection a function returns BE_EINVAL and writes a message a client
 * can act on into msg (never anything about the server's internals).
 */
#ifndef BE_VALIDATE_H
#define BE_VALIDATE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define BE_JSON_MAX_DEPTH 32
#define BE_NAME_MAX 200
#define BE_TEXT_MAX 1000000
#define BE_PAGE_DEFAULT 20
#define BE_PAGE_MAX 100

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). */
int be_utf8_valid(const char *s, size_t n);

/* Parses a request body that must be a JSON object: rejects invalid UTF-8,
 * nesting deeper than BE_JSON_MAX_DEPTH (checked before cJSON recurses), the
 * escape \u0000 (cJSON would cut the string there) and malformed JSON.
 * On success *out is the object; the caller frees it with cJSON_Delete(). */
int be_json_object(const char *body, size_t n, cJSON **out, char *msg, size_t msglen);

/* Fields of a project or document in a request. A NULL field was absent. */
typedef struct be_project_in {
    const char *name, *description;
} be_project_in;
typedef struct be_document_in {
    const char *title, *content;
} be_document_in;

/* partial: PATCH (every field optional, at least one present); otherwise
 * POST/PUT (name or title required). Unknown fields are rejected so a typo
 * never passes silently. Pointers point into obj. */
int be_project_from_json(const cJSON *obj, int partial, be_project_in *in, char *msg,
                         size_t msglen);
int be_document_from_json(const cJSON *obj, int partial, be_document_in *in, char *msg,
                          size_t msglen);

/* limit (1..BE_PAGE_MAX, default BE_PAGE_DEFAULT) and offset (>= 0, default
 * 0) from their query values (NULL when absent). */
int be_pagination(const char *limit, const char *offset, int64_t *l, int64_t *o, char *msg,
                  size_t msglen);

#endif
