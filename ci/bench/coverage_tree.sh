#!/usr/bin/env bash
# Writes, builds with --coverage and runs a C tree for the coverage benchmark:
# N modules (default 240) of 250-400 lines each (loops, branches, switches,
# static helpers, an inline header shared by all), and a driver that calls
# every module with inputs reaching only part of each, as real tests do.
#
#   ci/bench/coverage_tree.sh DIR [N]
#
# Leaves DIR/src/*.c, DIR/obj/*.{o,gcno,gcda} and DIR/driver.
set -euo pipefail

dir=${1:?usage: coverage_tree.sh DIR [N]}
n=${2:-240}
jobs=$(nproc 2>/dev/null || echo 2)
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/obj"

cat > "$dir/src/common.h" <<'EOF'
#ifndef COMMON_H
#define COMMON_H
#include <stddef.h>
static inline int clamp_int(int v, int lo, int hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}
static inline unsigned mix(unsigned h, unsigned v)
{
    h ^= v + 0x9e3779b9u + (h << 6) + (h >> 2);
    return h;
}
#endif
EOF

# One module: its number seeds the shape, so every file differs a little.
awk -v n="$n" -v dir="$dir" 'BEGIN {
  srand(7);
  for (m = 0; m < n; m++) {
    f = sprintf("%s/src/mod%03d.c", dir, m);
    printf "#include \"common.h\"\n#include <string.h>\n\n" > f;
    nf = 10 + int(rand() * 6);
    for (k = 0; k < nf; k++) {
      printf "static int m%d_f%d(int x, int y)\n{\n    int acc = 0;\n", m, k > f;
      printf "    for (int i = 0; i < (x & 15); i++) {\n        if (i %% %d == 0)\n            acc += i * y;\n        else if (i > %d)\n            acc -= y;\n        else\n            acc ^= i;\n    }\n", 2 + k % 3, 3 + k % 5 > f;
      printf "    switch ((x + y) %% 5) {\n    case 0:\n        acc += %d;\n        break;\n    case 1:\n        acc = clamp_int(acc, -%d, %d);\n        break;\n    case 2:\n        acc = (int)mix((unsigned)acc, (unsigned)y);\n        break;\n    default:\n        acc--;\n    }\n", k, 100 + k, 100 + k > f;
      printf "    if (acc > %d && y < 0)\n        return -acc;\n    return acc;\n}\n\n", 50 * k > f;
    }
    printf "int mod%03d_run(int x)\n{\n    int total = 0;\n    switch (x %% %d) {\n", m, nf > f;
    for (k = 0; k < nf; k++)
      printf "    case %d:\n        total += m%d_f%d(x, %d);\n        break;\n", k, m, k, k - 3 > f;
    printf "    }\n    return total;\n}\n" > f;
    close(f);
  }
  d = sprintf("%s/src/driver.c", dir);
  printf "#include <stdio.h>\n" > d;
  for (m = 0; m < n; m++) printf "int mod%03d_run(int x);\n", m > d;
  printf "int main(void)\n{\n    long sum = 0;\n    for (int x = 0; x < 7; x++) {\n" > d;
  for (m = 0; m < n; m++) printf "        sum += mod%03d_run(x * %d + %d);\n", m, 1 + m % 4, m % 3 > d;
  printf "    }\n    printf(\"%%ld\\n\", sum);\n    return 0;\n}\n" > d;
  close(d);
}'

# Build from inside the tree so the sources are named src/*.c, as in a repository.
(
  cd "$dir"
  ls src/*.c | xargs -P "$jobs" -I{} sh -c 'cc --coverage -O0 -c "$1" -o "obj/$(basename "$1" .c).o"' _ {}
  cc --coverage obj/*.o -o driver
  env -u GCOV_PREFIX -u GCOV_PREFIX_STRIP ./driver > /dev/null
)
echo "coverage_tree: $(ls "$dir"/obj/*.gcda | wc -l) .gcda files, $(cat "$dir"/src/*.c | wc -l) source lines in $dir"
