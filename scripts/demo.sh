#!/usr/bin/env bash
# Quick start, command 1: installs what is needed, builds, starts the project's own PostgreSQL
# and Redis, applies migrations, creates the demo partners, prints their tokens and runs the hub
# in the foreground behind HAProxy, as the documented deployment does (Ctrl-C stops both;
# scripts/services.sh stop stops the databases). HUB_LISTEN is the public address (HAProxy's);
# the hub itself listens on HUB_EDGE_BACKENDS (127.0.0.1:18080).
set -euo pipefail
shopt -s inherit_errexit  # a failing hubctl inside $(...) stops the demo too
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/services.sh start
# shellcheck disable=SC1091
run=${HUB_RUN_DIR:-.run}  # where scripts/services.sh keeps its data and env file
source "$run/env"
# The keyed hash of personal IDs published to the warehouse (config/publication.yaml): a secret
# kept in .run so that hashes stay the same across restarts.
[ -s "$run/publication.secret" ] || (umask 077; openssl rand -hex 32 >"$run/publication.secret")
export HUB_PUBLICATION_SECRET=${HUB_PUBLICATION_SECRET:-$(cat "$run/publication.secret")}
./build/hubctl migrate

# A demo partner that already exists gets a fresh token (its old ones stop at once).
token_for() {
  local name=$1; shift
  if ./build/hubctl partner show "$name" >/dev/null 2>&1; then
    # `partner scope` grants with --add/--add-unit where `partner add` takes --scope/--unit.
    local change=() arg
    for arg in "$@"; do
      case $arg in
        --scope) change+=(--add) ;;
        --unit) change+=(--add-unit) ;;
        *) change+=("$arg") ;;
      esac
    done
    ./build/hubctl partner scope "$name" --clear-units "${change[@]}" >/dev/null
    ./build/hubctl partner rotate "$name" --grace 0 2>/dev/null | tail -n 1
  else
    ./build/hubctl partner add "$name" "$@" 2>/dev/null | tail -n 1
  fi
}

ops=$(token_for demo-ops --scope admin --scope ingest:school --scope ingest:class --scope ingest:teaching_assignment --scope ingest:staff \
  --scope ingest:school_event --scope ingest:school_event_school)
admissions=$(token_for demo-admissions --scope ingest:student --scope ingest:admission_application --unit province:31)
transcripts=$(token_for demo-transcripts --scope ingest:student --scope ingest:enrollment --scope ingest:subject_result --scope ingest:term_summary)
hr=$(token_for demo-hr --scope ingest:staff --unit province:31)
warehouse=$(token_for demo-warehouse --scope 'pull:*')
admissions2=$(token_for demo-admissions-2 --scope ingest:student --scope ingest:admission_application --unit province:31)
hocba=$(token_for demo-hocba --scope ingest:student --scope ingest:enrollment --scope ingest:subject_result --scope ingest:term_summary)

listen=${HUB_LISTEN:-127.0.0.1:8080}             # public: HAProxy (scripts/edge.sh)
backend=${HUB_EDGE_BACKENDS:-127.0.0.1:18080}     # the hub, on loopback behind it
cat <<INFO

================================================================================
 Education data hub: http://$listen (HAProxy; the hub itself on $backend)
 Demo partners and their tokens (new on every start; keep them out of logs):
   demo-ops          (admin, schools, staff, classes, school events)   $ops
   demo-admissions   (admissions, Hải Phòng)   $admissions
   demo-transcripts  (transcripts)             $transcripts
   demo-hr           (staff register)          $hr
   demo-warehouse    (pull)                    $warehouse
   demo-admissions-2 (a second admissions portal, Hải Phòng)   $admissions2
   demo-hocba        (a second transcript platform)          $hocba
 Try, from another terminal:
   curl -s http://$listen/readyz
   curl -s -H "Authorization: Bearer $admissions" http://$listen/v1/me
   curl -s -H "Authorization: Bearer $ops" http://$listen/v1/admin/partners
 Load the demo school list, then push the admissions sample (dirty on purpose):
   curl -s -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-ops/samples/schools.json http://$listen/v1/ingest/schools
   curl -s -H "Authorization: Bearer $admissions" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-admissions/samples/admissions.json http://$listen/v1/ingest/admissions
 Staff: the schools' HR register, then the sector database's export (one teacher, two sources):
   curl -s -H "Authorization: Bearer $hr" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-hr/samples/staff.json http://$listen/v1/ingest/staff
   curl -s -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-ops/samples/staff.json http://$listen/v1/ingest/staff
 Then a school's class list with its teaching assignments (two classes rejected on purpose: an unknown subject, 31 September):
   curl -s -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-ops/samples/classes.json http://$listen/v1/ingest/classes
 School events from the Department's decision register: each decision planned and applied at once
 (a merge moves the students of HP-THCS-0007 to HP-THCS-0012; one decision rejected on purpose: no number):
   curl -s -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-ops/samples/school_events.json http://$listen/v1/ingest/school_events
 The second vendors push to the same feeds in their own formats:
   curl -s -H "Authorization: Bearer $admissions2" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-admissions-2/samples/admissions.json http://$listen/v1/ingest/admissions
   curl -s -H "Authorization: Bearer $hocba" -H 'Content-Type: application/json' \\
     --data-binary @mappings/partners/demo-hocba/samples/transcripts.json http://$listen/v1/ingest/transcripts
 Ops command line: ./build/hubctl --help   (after: source $run/env)
================================================================================

INFO
# HAProxy refuses oversized and tokenless requests before the hub reads them. It starts once
# the hub answers (its health checks would otherwise hold traffic back for a few seconds) and
# stops with the hub. The hub takes the client's address from the X-Forwarded-For it adds.
if (exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null; then
  echo "demo: $listen is taken by another program; choose another with HUB_LISTEN=<host:port>" >&2
  exit 1
fi
(for _ in $(seq 150); do
   if curl -sf -o /dev/null "http://$backend/healthz"; then
     HUB_EDGE_LISTEN=$listen HUB_EDGE_BACKENDS=$backend bash scripts/edge.sh start
     exit
   fi
   sleep 0.2
 done) &
trap 'bash scripts/edge.sh stop' EXIT
HUB_LISTEN=$backend HUB_HTTP_TRUSTED_PROXIES=127.0.0.1 ./build/hub
