/* libFuzzer target for the smoke spec parser (harness/smoke_spec.c): any
 * bytes must give a spec or a refusal with a message, never a crash, a leak
 * or unbounded work. Built and run by `make fuzz-smoke` (mk/smoke.mk). */
#include "smoke.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tg_smoke_spec *s = NULL;
    if (tg_smoke_spec_parse((const char *)data, size, "fuzz.yaml", &s) == 0)
        tg_smoke_spec_free(s);
    return 0;
}
