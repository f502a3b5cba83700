#!/bin/sh
# Writes a Check suite of N trivial tests registered with tollgate's helper,
# so one binary serves both sides of the overhead benchmark: with no
# argument it is a plain Check program (srunner, fork mode).
n=${1:-5000}
echo '#include "tgtest.h"'
i=0
while [ $i -lt "$n" ]; do
  echo "START_TEST(t$i) { ck_assert_int_eq($i, $i); } END_TEST"
  i=$((i + 1))
done
echo 'static void tests(tgt_registry *r) {'
i=0
while [ $i -lt "$n" ]; do
  [ $((i % 500)) -eq 0 ] && echo "  tgt_tcase(r, \"group$((i / 500))\");"
  echo "  tgt_add(r, t$i);"
  i=$((i + 1))
done
echo '}'
echo 'TGT_MAIN("bench", tests)'
