/* report_github.c: see report_github.h. */
#include "report_github.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ANNOTATIONS 50

int tg_github_active(void)
{
    const char *v = getenv("GITHUB_ACTIONS");
    return v && strcmp(v, "true") == 0;
}

char *tg_github_escape(const char *s, int property)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    for (; s && *s; s++) {
        switch (*s) {
        case '%': tg_buf_adds(&b, "%25"); break;
        case '\r': tg_buf_adds(&b, "%0D"); break;
        case '\n': tg_buf_adds(&b, "%0A"); break;
        case ':':
            if (property) {
                tg_buf_adds(&b, "%3A");
                break;
            }
            tg_buf_add(&b, s, 1);
            break;
        case ',':
            if (property) {
                tg_buf_adds(&b, "%2C");
                break;
            }
            tg_buf_add(&b, s, 1);
            break;
        default: tg_buf_add(&b, s, 1);
        }
    }
    return tg_buf_steal(&b);
}

void tg_github_annotate(const tg_results *r, FILE *out)
{
    int n = 0;
    for (size_t i = 0; i < r->ntests && n < MAX_ANNOTATIONS; i++) {
        const tg_test *t = &r->tests[i];
        if (!tg_status_blocks(t->status))
            continue;
        n++;
        char *title = tg_github_escape(t->id, 1);
        char *msg = tg_github_escape(t->message && *t->message ? t->message
                                                               : tg_status_name(t->status),
                                     0);
        if (t->file) {
            char *file = tg_github_escape(t->file, 1);
            fprintf(out, "::error file=%s,line=%d,title=%s::%s\n", file, t->line > 0 ? t->line : 1,
                    title, msg);
            free(file);
        } else {
            fprintf(out, "::error title=%s::%s\n", title, msg);
        }
        free(title);
        free(msg);
    }
}
