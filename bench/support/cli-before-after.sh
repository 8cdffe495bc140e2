#!/bin/bash
# Before/after of report, gate and compare, end to end (the compiled CLI as a new process), alternating
# the two builds back to back so machine load hits both alike. Wall, user+system CPU and peak RSS by
# /usr/bin/time; says whether the two report JSONs are byte-identical.
# usage: BASE_BIN=/path/to/old/bin/concur.js BASE_DB=old.sqlite NEW_DB=new.sqlite bench/support/cli-before-after.sh LABEL [REPS]
# (NEW_BIN defaults to this checkout's bin/concur.js; a workspace file opened by the newer Concur is
# migrated, so give each build its own copy of the file, e.g. made by server/db/synthetic.ts.)
set -u
LABEL=$1; R=${2:-3}
NEW_BIN=${NEW_BIN:-$(dirname "$0")/../../bin/concur.js}
OUT=$(mktemp -d)
for op in report gate compare; do
  for rep in $(seq "$R"); do
    for which in base new; do
      if [ $which = base ]; then BIN=$BASE_BIN; DB=$BASE_DB; else BIN=$NEW_BIN; DB=$NEW_DB; fi
      C="--db $DB --dataset big --criterion correct"
      case $op in
        report) A="report $C --run 1 --format json --out $OUT/r-$which.json";;
        gate) A="gate $C --run 1 --min-agreement 0.5";;
        compare) A="compare $C --run 1 --run 2 --format json";;
      esac
      /usr/bin/time -o "$OUT/time" -f "$LABEL $op $which wall %e s cpu %U+%S s rss %M KB" node "$BIN" $A > /dev/null || true
      cat "$OUT/time"
    done
  done
  if [ $op = report ]; then cmp -s "$OUT/r-base.json" "$OUT/r-new.json" && echo "  report json identical" || echo "  report json DIFFERS"; fi
done
rm -rf "$OUT"
