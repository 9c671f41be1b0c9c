#!/usr/bin/env bash
# Stops what slurm-up.sh started (jobs, slurmd, slurmctld, munged: by their pid files, and job
# processes left behind by the SLURM_CONF in their environment, never by name), then removes
# $PYRUNS_SLURM_ROOT. Idempotent.
set -uo pipefail
ROOT=${PYRUNS_SLURM_ROOT:-/tmp/pyruns-tui-slurm}
CONF=$ROOT/etc/slurm.conf
export SLURM_CONF=$CONF
say() { printf 'slurm-down: %s\n' "$*" >&2; }
[ -d "$ROOT" ] || exit 0
pid_of() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"; }
gone() { local s; s=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0; [ "$s" = Z ]; }
end() { kill -TERM "$1" 2>/dev/null || return 0; local i
  for i in $(seq 100); do gone "$1" && return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null; }

if pid_of "$ROOT/run/slurmctld.pid" slurmctld >/dev/null; then
  jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
  # shellcheck disable=SC2086
  [ -n "$jobs" ] && scancel $jobs 2>/dev/null
  for _ in $(seq 50); do [ -z "$(squeue -h -t PD,R,CG -o %A 2>/dev/null)" ] && break; sleep 0.1; done
fi
for pair in "run/slurmd.pid slurmd" "run/slurmctld.pid slurmctld" "munge/munged.pid munged"; do
  set -- $pair
  p=$(pid_of "$ROOT/$1" "$2") && { say "stopping $2 ($p)"; end "$p"; }
done
# slurmstepd and job processes outlive a killed slurmd; they all carry our SLURM_CONF
for d in /proc/[0-9]*; do
  p=${d#/proc/}; [ "$p" = $$ ] && continue
  { tr '\0' '\n' < "$d/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" || continue
  say "leftover $(cat "$d/comm" 2>/dev/null) ($p): SIGKILL"; kill -KILL "$p" 2>/dev/null
done
rm -rf "$ROOT"
say "down"
