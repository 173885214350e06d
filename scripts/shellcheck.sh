#!/usr/bin/env bash
# ShellCheck over every shell script in the repository: tracked files named *.sh, and tracked files whose first
# line is a shell's #!. Settings live in .shellcheckrc (sourced files are followed from the script's folder).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh shellcheck

scripts=()
while IFS= read -r -d '' file; do
    [[ -f $file ]] || continue
    if [[ $file == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*[/ ](ba|da|k)?sh( |$)'; then
        scripts+=("$file")
    fi
done < <(git ls-files -z)
shellcheck "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
