/* fuzz_lint.c: libFuzzer targets for the lint validators, one per reader.
 * Built by mk/lint.mk (make fuzz-lint) with FUZZ_KIND set to one of the
 * tg_lint_kind values: Procfile, env template, railway.json (JSON reader),
 * railway.toml (TOML subset), and the YAML-based ones (the first input byte
 * picks render, compose or workflow). Any crash becomes a fixture under
 * fixtures/lint/. */
#include "lint/lint.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>

#ifndef FUZZ_KIND
#define FUZZ_KIND TG_LK_PROCFILE
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg_lint_kind k = FUZZ_KIND;
    const char *name = "fuzz";
    if (k == TG_LK_RENDER) { /* the YAML family */
        static const tg_lint_kind yk[] = {TG_LK_RENDER, TG_LK_COMPOSE, TG_LK_WORKFLOW};
        static const char *const yn[] = {"render.yaml", "docker-compose.prod.yml",
                                         ".github/workflows/ci.yml"};
        unsigned pick = size ? data[0] % 3 : 0;
        k = yk[pick];
        name = yn[pick];
        if (size) {
            data++;
            size--;
        }
    }
    tg_lint L;
    tg_lint_init(&L);
    tg_lint_buffer(&L, name, k, (const char *)data, size);
    tg_lint_finish(&L);
    char *s = tg_lint_sarif(&L);
    free(s);
    tg_lint_free(&L);
    return 0;
}
