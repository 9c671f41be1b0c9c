#!/usr/bin/env bash
# A single-node Slurm for the tests: private munged, slurmctld and slurmd started by hand (no
# systemd), every file under $PYRUNS_SLURM_ROOT. Idempotent: a healthy cluster with the same
# parameters is left as it is; anything else is torn down and started again.
# stdout: the `export ...` lines for the tests; stderr: progress.
# Tunables: PYRUNS_SLURM_ROOT (/tmp/pyruns-tui-slurm), PYRUNS_SLURM_CPUS (8: over-commits a small
# box on purpose so a %4 array really runs 4), PYRUNS_SLURM_GPUS (2 fake GPUs as gres/gpu),
# PYRUNS_SLURM_PORT (6837: slurmctld; slurmd takes the next one).
set -euo pipefail
ROOT=${PYRUNS_SLURM_ROOT:-/tmp/pyruns-tui-slurm}
CPUS=${PYRUNS_SLURM_CPUS:-8}
GPUS=${PYRUNS_SLURM_GPUS:-2}
PORT=${PYRUNS_SLURM_PORT:-6837}
NODE=$(hostname -s)  # slurmctld runs only where SlurmctldHost equals `hostname -s`
CONF=$ROOT/etc/slurm.conf
SOCK=$ROOT/munge/munge.sock
HERE=$(cd "$(dirname "$0")" && pwd)
export SLURM_CONF=$CONF
PARAMS="$NODE $CPUS $GPUS $PORT $(cksum < "$0" | cut -d' ' -f1)"

say() { printf 'slurm-up: %s\n' "$*" >&2; }
pid_is() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; }
until_ok() { local end=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.1; done; }
fail() { say "ERROR: $*"; for f in "$ROOT"/munge/munged.log "$ROOT"/log/*.log; do
  [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
exports() { echo "export SLURM_CONF=$CONF"; echo "export PYRUNS_TEST_REQUIRE_SLURM=1"; }
node_idle() { [ "$(sinfo -h -n "$NODE" -o %t)" = idle ]; }
ctld_up() { scontrol ping | grep -q 'is UP'; }

if [ "$(cat "$ROOT/params" 2>/dev/null)" = "$PARAMS" ] && pid_is "$ROOT/munge/munged.pid" munged &&
   pid_is "$ROOT/run/slurmctld.pid" slurmctld && pid_is "$ROOT/run/slurmd.pid" slurmd && ctld_up 2>/dev/null; then
  say "already up"; exports; exit 0
fi
[ -e "$ROOT" ] && { say "tearing down a stale $ROOT"; PYRUNS_SLURM_ROOT=$ROOT bash "$HERE/slurm-down.sh" || true; }

missing=()
for p in munge slurmctld slurmd slurm-client; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  # no systemd: the packages' postinst would start daemons on the system paths; forbid it
  policy=0; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; policy=1; }
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
  [ $policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

mkdir -p "$ROOT"/{etc,state,spool,log,run,dev,munge}
chmod 755 "$ROOT" "$ROOT/munge"  # munged refuses a socket folder others can write to
head -c 1024 /dev/urandom > "$ROOT/munge/munge.key"
chmod 400 "$ROOT/munge/munge.key"
gres=""
: > "$ROOT/etc/gres.conf"
if [ "$GPUS" -gt 0 ]; then
  # gres/gpu wants a character device per GPU: fake ones that behave like /dev/null
  for i in $(seq 0 $((GPUS - 1))); do mknod "$ROOT/dev/nvidia$i" c 1 3; done
  printf 'AutoDetect=off\nNodeName=%s Name=gpu File=%s/dev/nvidia[0-%d]\n' "$NODE" "$ROOT" $((GPUS - 1)) > "$ROOT/etc/gres.conf"
  gres="Gres=gpu:$GPUS"
fi
cat > "$CONF" <<CONF
ClusterName=pyruns
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s)
AuthInfo=socket=$SOCK,cred_expire=5
StateSaveLocation=$ROOT/state
SlurmdSpoolDir=$ROOT/spool
SlurmctldPidFile=$ROOT/run/slurmctld.pid
SlurmdPidFile=$ROOT/run/slurmd.pid
SlurmctldLogFile=$ROOT/log/slurmctld.log
SlurmdLogFile=$ROOT/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# latency over throughput: start batch jobs at once and schedule on every event
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,default_queue_depth=2000,bf_interval=1
MaxArraySize=5001
MaxJobCount=20000
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=3600
KillWait=3
InactiveLimit=0
MailProg=/bin/true
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 Sockets=1 CoresPerSocket=$CPUS ThreadsPerCore=1 RealMemory=4096 $gres State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

/usr/sbin/munged --socket="$SOCK" --key-file="$ROOT/munge/munge.key" --pid-file="$ROOT/munge/munged.pid" \
  --log-file="$ROOT/munge/munged.log" --seed-file="$ROOT/munge/munged.seed" || fail "munged did not start"
until_ok 10 bash -c "munge -S '$SOCK' -n | unmunge -S '$SOCK'" || fail "munge does not answer"
slurmctld -c || fail "slurmctld did not start"
until_ok 30 ctld_up || fail "slurmctld does not answer"
slurmd -N "$NODE" || fail "slurmd did not start"
until_ok 30 node_idle || { scontrol show node "$NODE" >&2 || true; fail "node $NODE is not idle"; }
echo "$PARAMS" > "$ROOT/params"
say "up: node $NODE, $(sinfo -h -n "$NODE" -o '%c CPUs, gres %G')"
exports
