#!/usr/bin/env bash
# Fails when a source file under hub/ or connectors/ includes a header of a folder its own folder
# may not use. The table is the dependency rule of docs/architecture.md ("Folders and what each
# may use"): each folder may use itself and the folders listed; the CMake libraries link the
# same way (CMakeLists.txt). Run by scripts/test.sh before the tests, and as the CTest test
# check_deps.
set -euo pipefail
# Optional argument: the tree to check (default: this checkout).
cd "${1:-$(dirname "$0")/..}"

declare -A allowed=(
  [common]=""
  [model]="common"
  [mapping]="common model"
  [store]="common model mapping"
  [resolve]="common model mapping store"
  [inbox]="common model mapping store"
  [ingest]="common model mapping store inbox resolve"
  [reports]="common model mapping store"
  [auth]="common model mapping store"
  [connectors/sink]="common"
  [connectors/file]="common connectors/sink"
  [connectors/http]="common connectors/sink"
  [connectors/registry]="common connectors/sink connectors/file connectors/http"
  [sync]="common model mapping store connectors/sink connectors/registry"
  [http]="common model mapping store inbox resolve ingest reports sync auth"
  [tools]="common model mapping store inbox resolve ingest reports sync auth http"
  [main]="common model mapping store inbox resolve ingest reports sync auth http"
)

# The folder a path belongs to: hub/<folder>/..., hub/main.cpp, connectors/<folder>/...,
# connectors/sink.h.
folder_of() {
  case "$1" in
    hub/main.cpp) echo main ;;
    hub/*/*) local rest=${1#hub/}; echo "${rest%%/*}" ;;
    connectors/sink.h) echo connectors/sink ;;
    connectors/*/*) local rest=${1#connectors/}; echo "connectors/${rest%%/*}" ;;
    *) echo "?" ;;
  esac
}

status=0
while IFS= read -r file; do
  from=$(folder_of "$file")
  if [[ -z ${allowed[$from]+set} ]]; then
    echo "check-deps: $file: folder '$from' is not in the table of scripts/check-deps.sh" >&2
    status=1
    continue
  fi
  while IFS=: read -r line header; do
    to=$(folder_of "$header")
    [[ $to == "$from" ]] && continue
    if [[ " ${allowed[$from]} " != *" $to "* ]]; then
      echo "check-deps: $file:$line includes $header: $from may not use $to (may use: ${allowed[$from]:-nothing})" >&2
      status=1
    fi
  done < <(grep -noE '^\s*#\s*include\s+"(hub|connectors)/[^"]+"' "$file" |
           sed -E 's/^([0-9]+):.*"([^"]+)"/\1:\2/')
done < <(find hub $([[ -d connectors ]] && echo connectors) \( -name "*.h" -o -name "*.cpp" \) | sort)

if [[ $status -eq 0 ]]; then echo "check-deps: every #include follows the dependency table"; fi
exit $status
