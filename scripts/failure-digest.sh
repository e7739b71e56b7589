#!/usr/bin/env bash
# Prints, for each test that failed in the last ctest run of a build directory, the lines that
# say why (QtTest FAIL!/Loc, QFATAL, sanitizer reports, chaos seeds) from ctest's full log.
# CI shows only the head and tail of a long run; this puts the reasons in the tail.
# Usage: scripts/failure-digest.sh BUILD_DIR
set -uo pipefail
dir=${1:?usage: scripts/failure-digest.sh BUILD_DIR}
failed="$dir/Testing/Temporary/LastTestsFailed.log"
log="$dir/Testing/Temporary/LastTest.log"
[[ -s $failed && -f $log ]] || exit 0
echo "== why the failed tests of $dir failed (from $log)"
while IFS=: read -r _ name; do
    echo "-- $name"
    # The telling lines; a test that printed none of them: the end of its output.
    awk -v name="$name" '
        $0 ~ "^[0-9]+/[0-9]+ Testing: " name "$" { inside = 1; n = 0; found = 0; more = 0; next }
        inside && $0 ~ "^\"" name "\" end time" {
            inside = 0
            if (!found) for (i = (n > 15 ? n - 15 : 0); i < n; i++) print "   " tail[i % 15]
        }
        inside {
            line = substr($0, 1, 600)
            tail[n++ % 15] = line
            if (more > 0 || line ~ /FAIL|^not ok|^   Loc:|QFATAL|Sanitizer|SUMMARY:|runtime error|chaos seed|Timeout|[Ee]rror:/) {
                print "   " line
                found = 1
                more = more > 0 ? more - 1 : (line ~ /error: [|>]-?$/ ? 3 : 0) # a TAP block: its first lines
            }
        }' "$log" | head -40
done < "$failed"
