/*
 * be_route.h: which resource a request path names, and which methods it
 * takes. Pure functions over strings; nothing is allocated.
 *
 * The path arrives percent-decoded by be_http_unescape(), which leaves
 * encoded '/', '\\' and control bytes encoded, so "%2F" can never create a
 * path segment and a NUL can never cut one short.
 */
#ifndef BE_ROUTE_H
#define BE_ROUTE_H

#include <stdint.h>

typedef enum {
    BE_R_NONE,
    BE_R_HEALTH,     /* /health, /api/v1/health */
    BE_R_LIVENESS,   /* /api/v1/health/liveness */
    BE_R_READINESS,  /* /api/v1/health/readiness */
    BE_R_DETAILED,   /* /api/v1/health/detailed */
    BE_R_PROJECTS,   /* /api/v1/projects */
    BE_R_PROJECT,    /* /api/v1/projects/{id} */
    BE_R_DOCUMENTS,  /* /api/v1/projects/{id}/documents */
    BE_R_DOCUMENT,   /* /api/v1/projects/{id}/documents/{doc} */
    BE_R_DEBUG_SLOW, /* /api/v1/debug/slow (only when BE_DEBUG_SLOW_MS is set) */
    BE_R__COUNT
} be_route_id;

typedef struct be_route {
    be_route_id id;
    int64_t project_id, document_id;
    const char *error; /* on BE_EINVAL: "invalid_path" or "invalid_id" */
} be_route;

/* 0 and *out filled; BE_ENOTFOUND for no route; BE_EINVAL for a path with
 * "." or ".." segments or an id that is not a positive decimal number. */
int be_route_match(const char *path, be_route *out);
/* The Allow header for a route, e.g. "GET, HEAD, OPTIONS". */
const char *be_route_allow(be_route_id id);
/* 1 if method is in the route's Allow list. */
int be_route_allows(be_route_id id, const char *method);
/* 1 for the health routes (exempt from rate limiting). */
int be_route_is_health(be_route_id id);
/* A stable name, for logs and fixtures: "health", "project", ... */
const char *be_route_name(be_route_id id);

#endif
