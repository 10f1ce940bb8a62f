#!/bin/sh
# The pod's entrypoint (k8s/Containerfile): make the pod's cgroup usable by Podman, then start the node.
set -eu
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # The runtime mounts the pod's cgroup (v2, its own cgroup namespace) read-only; Podman makes one
  # cgroup per sandbox for its memory, CPU and pids limits. CAP_SYS_ADMIN of the pod's user namespace.
  mount -o remount,rw /sys/fs/cgroup
  # cgroup v2 lets a cgroup hand controllers to children only while it holds no process itself:
  # move every process (tini, this shell) into a leaf first, then enable every controller for the
  # sandboxes' cgroups. One pid per write; one that exited meanwhile fails alone.
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs || :
  sed -e 's/ / +/g' -e 's/^/+/' /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control
fi
# exec: the node gets tini's SIGTERM itself (its drain), not a shell in between.
exec /opt/runner/runner serve
