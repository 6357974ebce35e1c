#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing `data.executor: slurm`.
#
#   scripts/slurm_single_node.sh up          install slurm-wlm + munge if missing, start munged, slurmctld, slurmd
#   scripts/slurm_single_node.sh exec CMD..  run CMD where the cluster is reachable (sbatch, squeue, codemill ...)
#   scripts/slurm_single_node.sh down        cancel every job and stop the daemons
#
# Every daemon and node address is 127.0.0.1, so all the cluster's traffic stays on loopback.
# Needs root (for apt and munge).
# State, logs and the generated slurm.conf go to $CODEMILL_SLURM_DIR (default /tmp/codemill-slurm).
set -euo pipefail

state=${CODEMILL_SLURM_DIR:-/tmp/codemill-slurm}
conf="$state/slurm.conf"
export SLURM_CONF="$conf"

running() { [ -s "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null; }

in_cluster() {
    running || { echo "slurm_single_node: no cluster is up (run '$0 up')" >&2; exit 2; }
    "$@"
}

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    [ "$(id -u)" = 0 ] || { echo "slurm_single_node: needs root to install slurm-wlm and munge" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_conf() {
    local cpus mem_mb
    cpus=$(nproc)
    mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
    mkdir -p "$state/ctld" "$state/spool" "$state/logs"
    cat > "$conf" <<CONF
ClusterName=codemill
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/logs/slurmctld.log
SlurmdLogFile=$state/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
}

up() {
    install_packages
    if running; then
        echo "slurm_single_node: already up ($conf)" >&2
        return
    fi
    rm -rf "$state"
    write_conf
    mkdir -p /run/munge
    [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f; }
    munged --force --pid-file="$state/munged.pid" 2>/dev/null
    slurmctld -f "$conf"
    slurmd -f "$conf" -N localhost
    for _ in $(seq 60); do
        if in_cluster sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
            echo "slurm_single_node: up, one node with $(nproc) CPUs; SLURM_CONF=$conf" >&2
            return
        fi
        sleep 1
    done
    echo "slurm_single_node: the node did not come up; see $state/logs/" >&2
    down
    exit 1
}

down() {
    running && scancel --user="$(id -un)" 2>/dev/null || true
    for daemon in slurmd slurmctld munged; do
        [ -s "$state/$daemon.pid" ] && kill "$(cat "$state/$daemon.pid")" 2>/dev/null || true
    done
    sleep 1
    for daemon in slurmd slurmctld munged; do
        [ -s "$state/$daemon.pid" ] && kill -9 "$(cat "$state/$daemon.pid")" 2>/dev/null || true
    done
    rm -f "$state"/*.pid
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    exec) shift; in_cluster "$@" ;;
    *) echo "usage: $0 up | exec CMD... | down" >&2; exit 2 ;;
esac
