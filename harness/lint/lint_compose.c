/* lint_compose.c: Compose files, rules C1-C10. */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"version", "name",    "services", "networks", "volumes",
                                       "configs", "secrets", "include",  "models",   NULL};
static const char *const service_keys[] = {
    "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup",
    "cgroup_parent", "command", "configs", "container_name", "cpu_count", "cpu_percent",
    "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus",
    "cpuset", "credential_spec", "depends_on", "deploy", "develop", "device_cgroup_rules",
    "devices", "dns", "dns_opt", "dns_search", "domainname", "entrypoint", "env_file",
    "environment", "expose", "extends", "external_links", "extra_hosts", "gpus", "group_add",
    "healthcheck", "hostname", "image", "init", "ipc", "isolation", "labels", "label_file",
    "links", "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness",
    "memswap_limit", "models", "network_mode", "networks", "oom_kill_disable", "oom_score_adj",
    "pid", "pids_limit", "platform", "ports", "post_start", "pre_stop", "privileged",
    "profiles", "provider", "pull_policy", "read_only", "restart", "runtime", "scale",
    "secrets", "security_opt", "shm_size", "stdin_open", "stop_grace_period", "stop_signal",
    "storage_opt", "sysctls", "tmpfs", "tty", "ulimits", "use_api_socket", "user", "userns_mode",
    "uts", "volumes", "volumes_from", "working_dir", NULL};
static const char *const health_keys[] = {"test", "interval", "timeout", "retries",
                                          "start_period", "start_interval", "disable", NULL};

/* Looks key up in map and, failing that, in what `<<:` merges into it. */
static const tg_ynode *getm(const tg_ynode *map, const char *key)
{
    const tg_ynode *v = tg_y_get(map, key);
    if (v || !map || map->kind != TG_Y_MAP)
        return v;
    for (size_t i = 0; i < map->n; i++) {
        const char *k = tg_y_str(map->keys[i]);
        if (!k || strcmp(k, "<<") != 0)
            continue;
        const tg_ynode *m = map->vals[i];
        if (m->kind == TG_Y_MAP && (v = tg_y_get(m, key)) != NULL)
            return v;
        if (m->kind == TG_Y_SEQ)
            for (size_t j = 0; j < m->n; j++)
                if ((v = tg_y_get(m->vals[j], key)) != NULL)
                    return v;
    }
    return NULL;
}

static int is_ext(const char *k)
{
    return k && strncmp(k, "x-", 2) == 0;
}

static void unknown(lint_ctx *c, const tg_ynode *map, const char *const *known, const char *where)
{
    for (size_t i = 0; map && map->kind == TG_Y_MAP && i < map->n; i++) {
        const tg_ynode *k = map->keys[i];
        const char *s = tg_y_str(k);
        if (!s || is_ext(s) || strcmp(s, "<<") == 0 || lint_in_list(s, known))
            continue;
        lint_add(c, "C1", TG_LINT_ERROR, k->line, k->col,
                 "unknown key \"%s\" in %s; Compose rejects it (check the spelling and the "
                 "indentation)",
                 s, where);
    }
}

/* ${VAR} without a default (:- / -) or a required marker (:? / ?). */
static void scan_interpolation(lint_ctx *c, const tg_ynode *n, lint_set *seen, int depth)
{
    if (!n || depth > 64)
        return;
    if (n->kind != TG_Y_SCALAR) {
        for (size_t i = 0; i < n->n; i++)
            scan_interpolation(c, n->vals[i], seen, depth + 1);
        return;
    }
    for (const char *p = n->value; (p = strchr(p, '$')) != NULL; p++) {
        if (p[1] == '$') {
            p++;
            continue;
        }
        if (p[1] != '{')
            continue;
        const char *v = p + 2, *e = v;
        while (isalnum((unsigned char)*e) || *e == '_')
            e++;
        if (e == v)
            continue;
        if (*e == '}') {
            char *name = tg_strndup(v, (size_t)(e - v));
            /* Reported once per file, where it first appears. */
            if (lint_set_put(seen, name, 1) >= 0) {
                free(name);
                continue;
            }
            lint_ref_add(&c->facts->expects, name, c->file, n->line, n->col);
            if (c->prod)
                lint_add(c, "C6", TG_LINT_WARNING, n->line, n->col,
                         "${%s} has no default and is not required in a production file; an "
                         "unset variable becomes \"\" silently: write ${%s:?%s is required} "
                         "(reported once per file)",
                         name, name, name);
            free(name);
        }
    }
}

static int always_passes(const tg_ynode *test)
{
    const char *s = NULL;
    if (tg_y_str(test))
        s = test->value;
    else if (test && test->kind == TG_Y_SEQ && test->n >= 2) {
        const char *kind = tg_y_str(test->vals[0]);
        if (kind && strcmp(kind, "NONE") == 0)
            return 0;
        if (test->n == 2)
            s = tg_y_str(test->vals[1]);
        else if (tg_y_str(test->vals[1]) && strcmp(test->vals[1]->value, "exit") == 0 &&
                 tg_y_str(test->vals[2]) && strcmp(test->vals[2]->value, "0") == 0)
            return 1;
    }
    if (!s)
        return 0;
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if ((n == 6 && !strncmp(s, "exit 0", 6)) || (n == 4 && !strncmp(s, "true", 4)) ||
        (n == 1 && *s == ':'))
        return 1;
    return (n >= 9 && !strncmp(s + n - 9, "|| exit 0", 9)) ||
           (n >= 7 && !strncmp(s + n - 7, "|| true", 7));
}

/* Networks a service is on; "default" when it names none. */
static int on_network(const tg_ynode *svc, const char *net)
{
    const tg_ynode *nets = getm(svc, "networks");
    if (tg_y_str(getm(svc, "network_mode")))
        return 0;
    if (!nets || tg_y_is_null(nets) || nets->n == 0)
        return strcmp(net, "default") == 0;
    for (size_t i = 0; i < nets->n; i++) {
        const tg_ynode *k = nets->kind == TG_Y_MAP ? nets->keys[i] : nets->vals[i];
        if (tg_y_str(k) && strcmp(k->value, net) == 0)
            return 1;
    }
    return 0;
}

static int share_network(const tg_ynode *a, const tg_ynode *b, const tg_ynode *top_nets)
{
    if (on_network(a, "default") && on_network(b, "default"))
        return 1;
    for (size_t i = 0; top_nets && top_nets->kind == TG_Y_MAP && i < top_nets->n; i++) {
        const char *n = tg_y_str(top_nets->keys[i]);
        if (n && on_network(a, n) && on_network(b, n))
            return 1;
    }
    return 0;
}

static int env_has(const tg_ynode *env, const char *name)
{
    size_t nl = strlen(name);
    if (!env)
        return 0;
    if (env->kind == TG_Y_MAP)
        return tg_y_get(env, name) != NULL;
    for (size_t i = 0; env->kind == TG_Y_SEQ && i < env->n; i++) {
        const char *s = tg_y_str(env->vals[i]);
        if (s && strncmp(s, name, nl) == 0 && (s[nl] == '=' || s[nl] == 0))
            return 1;
    }
    return 0;
}

/* The host of a URL in s ("scheme://[user[:pass]@]host[:port]/..."), as a
 * new string, or NULL. */
static char *url_host(const char *s)
{
    const char *p = strstr(s, "://");
    if (!p)
        return NULL;
    p += 3;
    const char *end = p + strcspn(p, "/?# \"'");
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@')
            at = q;
    if (at)
        p = at + 1;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon)
        end = colon;
    return end > p ? tg_strndup(p, (size_t)(end - p)) : NULL;
}

/* C10: a URL in service a's environment names service b by host name, but
 * the two share no network, so the name never resolves. names maps service
 * names to their index in svcs. */
static void check_reachability(lint_ctx *c, const tg_ynode *svcs, const lint_set *names,
                               const tg_ynode *a, const tg_ynode *top_nets)
{
    const tg_ynode *env = getm(a, "environment");
    for (size_t i = 0; env && env->kind != TG_Y_SCALAR && i < env->n; i++) {
        const tg_ynode *v = env->vals[i];
        const char *s = tg_y_str(v);
        char *host = s ? url_host(s) : NULL;
        int j = host ? lint_set_get(names, host) : -1;
        if (j >= 0 && svcs->vals[j] != a && !share_network(a, svcs->vals[j], top_nets))
            lint_add(c, "C10", TG_LINT_ERROR, v->line, v->col,
                     "this URL names service \"%s\", but the two services share no network, "
                     "so the name does not resolve; put both on one network",
                     host);
        free(host);
    }
}

/* A base file (not an override that may rely on another file's services). */
static int base_file(const char *file)
{
    const char *b = lint_base_name(file);
    return !strcmp(b, "docker-compose.yml") || !strcmp(b, "docker-compose.yaml") ||
           !strcmp(b, "compose.yml") || !strcmp(b, "compose.yaml");
}

static void check_service(lint_ctx *c, const tg_ynode *svcs, const lint_set *names,
                          const char *name, const tg_ynode *s, const tg_ynode *top_nets,
                          const lint_set *net_names, int base)
{
    char *where = tg_asprintf("service %s", name);
    unknown(c, s, service_keys, where);
    free(where);
    const tg_ynode *r = getm(s, "restart");
    const char *rs = tg_y_str(r);
    if (rs && strcmp(rs, "no") && strcmp(rs, "always") && strcmp(rs, "unless-stopped") &&
        strcmp(rs, "on-failure") && strncmp(rs, "on-failure:", 11) && !strstr(rs, "${"))
        lint_add(c, "C2", TG_LINT_ERROR, r->line, r->col,
                 "restart \"%s\" is not one of no, always, on-failure[:N], unless-stopped", rs);
    const tg_ynode *hc = getm(s, "healthcheck");
    if (hc && hc->kind == TG_Y_MAP) {
        unknown(c, hc, health_keys, "a healthcheck");
        const tg_ynode *ret = tg_y_get(hc, "retries");
        if (ret && !lint_is_int(ret))
            lint_add(c, "C1", TG_LINT_ERROR, ret->line, ret->col,
                     "healthcheck retries must be a whole number, not \"%s\"",
                     tg_y_str(ret) ? ret->value : "a list or map");
        const tg_ynode *test = tg_y_get(hc, "test");
        if (test && always_passes(test))
            lint_add(c, "C4", TG_LINT_WARNING, test->line, test->col,
                     "this healthcheck always passes, so the service is reported healthy even "
                     "when it is down; probe it, e.g. curl -f http://localhost:PORT/health");
    } else if (hc && !tg_y_is_null(hc))
        lint_add(c, "C1", TG_LINT_ERROR, hc->line, hc->col, "healthcheck must be a map");
    const tg_ynode *dep = getm(s, "depends_on");
    for (size_t i = 0; dep && dep->kind != TG_Y_SCALAR && i < dep->n; i++) {
        const tg_ynode *k = dep->kind == TG_Y_MAP ? dep->keys[i] : dep->vals[i];
        const char *target = tg_y_str(k);
        if (!target)
            continue;
        int ti = lint_set_get(names, target);
        const tg_ynode *ts = ti >= 0 ? svcs->vals[ti] : NULL;
        if (!ts) {
            lint_add(c, "C7", base ? TG_LINT_ERROR : TG_LINT_WARNING, k->line, k->col,
                     "depends_on names \"%s\", which is not a service in this file%s", target,
                     base ? "; fix the name" : " (fine only as an override of a base file)");
            continue;
        }
        const tg_ynode *cond = dep->kind == TG_Y_MAP ? tg_y_get(dep->vals[i], "condition") : NULL;
        if (tg_y_str(cond) && strcmp(cond->value, "service_healthy") == 0) {
            const tg_ynode *ths = getm(ts, "healthcheck");
            const tg_ynode *dis = ths ? tg_y_get(ths, "disable") : NULL;
            if (!ths || tg_y_is_null(ths) || (tg_y_str(dis) && !strcmp(dis->value, "true")))
                lint_add(c, "C3", TG_LINT_ERROR, cond->line, cond->col,
                         "service_healthy on \"%s\", which has no healthcheck, so this service "
                         "never starts; add a healthcheck to %s (or use service_started)",
                         target, target);
        }
    }
    const tg_ynode *nets = getm(s, "networks");
    for (size_t i = 0; nets && nets->kind != TG_Y_SCALAR && i < nets->n; i++) {
        const tg_ynode *k = nets->kind == TG_Y_MAP ? nets->keys[i] : nets->vals[i];
        const char *n = tg_y_str(k);
        if (n && strcmp(n, "default") && lint_set_get(net_names, n) < 0)
            lint_add(c, "C9", base ? TG_LINT_ERROR : TG_LINT_WARNING, k->line, k->col,
                     "network \"%s\" is not declared under the top-level networks:%s", n,
                     base ? "; declare it" : " (fine only as an override of a base file)");
    }
    const char *image = tg_y_str(getm(s, "image"));
    if (image && (strncmp(image, "postgres", 8) == 0 || strstr(image, "/postgres:") ||
                  strstr(image, "library/postgres"))) {
        const tg_ynode *env = getm(s, "environment");
        if (!env_has(env, "POSTGRES_PASSWORD") && !env_has(env, "POSTGRES_PASSWORD_FILE") &&
            !env_has(env, "POSTGRES_HOST_AUTH_METHOD") && !getm(s, "env_file")) {
            const tg_ynode *im = getm(s, "image");
            lint_add(c, "C8", TG_LINT_ERROR, im->line, im->col,
                     "the postgres image exits on first start without POSTGRES_PASSWORD; set "
                     "it (from a secret) under environment:");
        }
    }
    check_reachability(c, svcs, names, s, top_nets);
}

void lint_compose(lint_ctx *c, const tg_ynode *root)
{
    if (root->kind != TG_Y_MAP) {
        lint_add(c, "C1", TG_LINT_ERROR, root->line, root->col,
                 "a Compose file must be a map with services:");
        return;
    }
    unknown(c, root, top_keys, "the top level");
    const tg_ynode *ver = tg_y_key(root, "version");
    if (ver)
        lint_add(c, "C5", TG_LINT_WARNING, ver->line, ver->col,
                 "version: is obsolete and ignored by Compose v2; remove it");
    lint_set seen = {0};
    scan_interpolation(c, root, &seen, 0);
    lint_set_free(&seen);
    const tg_ynode *svcs = tg_y_get(root, "services");
    const tg_ynode *top_nets = tg_y_get(root, "networks");
    int base = base_file(c->file);
    if (!svcs || svcs->kind != TG_Y_MAP) {
        if (svcs && !tg_y_is_null(svcs))
            lint_add(c, "C1", TG_LINT_ERROR, svcs->line, svcs->col,
                     "services must be a map of service name to service");
        return;
    }
    lint_set names = {0}, net_names = {0};
    for (size_t i = 0; i < svcs->n; i++)
        if (tg_y_str(svcs->keys[i]))
            (void)lint_set_put(&names, svcs->keys[i]->value, (int)i);
    for (size_t i = 0; top_nets && top_nets->kind == TG_Y_MAP && i < top_nets->n; i++)
        if (tg_y_str(top_nets->keys[i]))
            (void)lint_set_put(&net_names, top_nets->keys[i]->value, (int)i);
    for (size_t i = 0; i < svcs->n; i++) {
        const char *name = tg_y_str(svcs->keys[i]);
        const tg_ynode *s = svcs->vals[i];
        if (!name || is_ext(name))
            continue;
        if (s->kind != TG_Y_MAP) {
            if (!tg_y_is_null(s))
                lint_add(c, "C1", TG_LINT_ERROR, s->line, s->col,
                         "service %s must be a map of settings", name);
            continue;
        }
        check_service(c, svcs, &names, name, s, top_nets, &net_names, base);
    }
    lint_set_free(&names);
    lint_set_free(&net_names);
}
