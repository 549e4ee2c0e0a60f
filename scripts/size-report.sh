#!/usr/bin/env bash
# Prints every file a browser downloads from DIR, raw and gzip -9, and totals.
# Usage: scripts/size-report.sh DIR
set -euo pipefail
dir=${1:?usage: size-report.sh DIR}
total_raw=0
total_gz=0
printf '%-52s %10s %10s\n' "asset" "raw B" "gzip B"
while IFS= read -r file; do
  raw=$(wc -c <"$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-52s %10d %10d\n' "${file#"$dir"/}" "$raw" "$gz"
done < <(find "$dir" -type f | sort)
printf '%-52s %10d %10d\n' "total" "$total_raw" "$total_gz"
