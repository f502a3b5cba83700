/* be_validate.c: see be_validate.h. */
#include "be_validate.h"

#include "be.h"

#include <stdio.h>
#include <string.h>

int be_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Depth of [ and { outside strings; stops as soon as it passes max. */
static int depth_within(const char *s, size_t n, int max)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

/* cJSON turns \u0000 into a NUL that silently truncates the string. */
static int has_nul_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 5 < n; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' &&
            s[i + 5] == '0')
            return 1;
        i++; /* skip the escaped character, so "\\\\u0000" is not an escape */
    }
    return 0;
}

int be_json_object(const char *body, size_t n, cJSON **out, char *msg, size_t msglen)
{
    *out = NULL;
    if (n == 0) {
        snprintf(msg, msglen, "the request body is empty; send a JSON object");
        return BE_EINVAL;
    }
    if (!be_utf8_valid(body, n)) {
        snprintf(msg, msglen, "the request body is not valid UTF-8");
        return BE_EINVAL;
    }
    if (memchr(body, '\0', n)) {
        snprintf(msg, msglen, "the request body contains a NUL byte");
        return BE_EINVAL;
    }
    if (!depth_within(body, n, BE_JSON_MAX_DEPTH)) {
        snprintf(msg, msglen, "the JSON body is nested deeper than %d levels", BE_JSON_MAX_DEPTH);
        return BE_EINVAL;
    }
    if (has_nul_escape(body, n)) {
        snprintf(msg, msglen, "the JSON body contains \\u0000, which no field accepts");
        return BE_EINVAL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(body, n, &end, 0);
    /* Anything but whitespace after the value is an error too. */
    while (j && end && end < body + n &&
           (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (j && end != body + n) {
        cJSON_Delete(j);
        j = NULL;
    }
    if (!j) {
        size_t at = end && end >= body && end <= body + n ? (size_t)(end - body) : 0;
        snprintf(msg, msglen, "the request body is not valid JSON (near byte %zu)", at);
        return BE_EINVAL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        snprintf(msg, msglen, "the request body must be a JSON object");
        return BE_EINVAL;
    }
    *out = j;
    return BE_OK;
}

/* A text field: absent is fine here; present must be a string of the right
 * length without control characters (in a name) or NUL. */
static int text_field(const cJSON *obj, const char *key, size_t min, size_t max, int single_line,
                      const char **out, char *msg, size_t msglen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v)
        return BE_OK;
    if (!cJSON_IsString(v) || !v->valuestring) {
        snprintf(msg, msglen, "\"%s\" must be a string", key);
        return BE_EINVAL;
    }
    size_t len = strlen(v->valuestring);
    if (len < min || len > max) {
        snprintf(msg, msglen, "\"%s\" must be %zu to %zu bytes long (got %zu)", key, min, max, len);
        return BE_EINVAL;
    }
    if (single_line)
        for (const char *p = v->valuestring; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                snprintf(msg, msglen, "\"%s\" must not contain control characters", key);
                return BE_EINVAL;
            }
    *out = v->valuestring;
    return BE_OK;
}

static int only_known(const cJSON *obj, const char *a, const char *b, char *msg, size_t msglen)
{
    for (const cJSON *it = obj->child; it; it = it->next)
        if (!it->string || (strcmp(it->string, a) != 0 && strcmp(it->string, b) != 0)) {
            snprintf(msg, msglen, "unknown field \"%.40s\"; the fields are \"%s\" and \"%s\"",
                     it->string ? it->string : "", a, b);
            return BE_EINVAL;
        }
    return BE_OK;
}

/* The shared shape of projects and documents: a required one-line name-like
 * field and an optional free-text field. */
static int resource_from_json(const cJSON *obj, int partial, const char *key, const char *text_key,
                              const char **name, const char **text, char *msg, size_t msglen)
{
    if (only_known(obj, key, text_key, msg, msglen) ||
        text_field(obj, key, 1, BE_NAME_MAX, 1, name, msg, msglen) ||
        text_field(obj, text_key, 0, BE_TEXT_MAX, 0, text, msg, msglen))
        return BE_EINVAL;
    if (!partial && !*name) {
        snprintf(msg, msglen, "\"%s\" is required", key);
        return BE_EINVAL;
    }
    if (partial && !*name && !*text) {
        snprintf(msg, msglen, "nothing to update; send \"%s\" or \"%s\"", key, text_key);
        return BE_EINVAL;
    }
    return BE_OK;
}

int be_project_from_json(const cJSON *obj, int partial, be_project_in *in, char *msg, size_t msglen)
{
    return resource_from_json(obj, partial, "name", "description", &in->name, &in->description, msg,
                              msglen);
}

int be_document_from_json(const cJSON *obj, int partial, be_document_in *in, char *msg,
                          size_t msglen)
{
    return resource_from_json(obj, partial, "title", "content", &in->title, &in->content, msg,
                              msglen);
}

int be_pagination(const char *limit, const char *offset, int64_t *l, int64_t *o, char *msg,
                  size_t msglen)
{
    *l = BE_PAGE_DEFAULT;
    *o = 0;
    if (limit && be_parse_int(limit, 1, BE_PAGE_MAX, l) != BE_OK) {
        snprintf(msg, msglen, "limit must be a whole number from 1 to %d", BE_PAGE_MAX);
        return BE_EINVAL;
    }
    if (offset && be_parse_int(offset, 0, INT64_MAX / 2, o) != BE_OK) {
        snprintf(msg, msglen, "offset must be a whole number, 0 or more");
        return BE_EINVAL;
    }
    return BE_OK;
}
