#!/usr/bin/env python3
"""Derive the runner's seccomp profile from Podman's default profile.

    derive-seccomp.py [--no-extra] [SRC [DST]]
    SRC defaults to /usr/share/containers/seccomp.json
    DST defaults to seccomp.json next to this script

Idempotent: the output depends only on SRC (every syscall we manage is first removed
from every entry of SRC, then our own entries are appended), so running it on its own
output gives the same file again.

Rule-writing notes (runc 1.1 + libseccomp 2.5):
  * an entry whose args hold several conditions on the SAME argument index is split by
    runc into one rule per condition (OR); conditions on different indexes are ANDed.
    Every entry below has at most one condition per index, so "args" always means AND.
  * an unconditional rule for a syscall overrides every conditional rule for it in
    libseccomp, whatever the action; so a syscall that is allowed conditionally must get
    its "otherwise" errno from conditional rules that cover the complement (they do
    below; anything not covered falls to defaultAction = ENOSYS, which is also a denial).
  * 64-bit compare: an int argument with garbage in the upper 32 bits never equals an
    allowed value, and lands in the ">= N" deny rule, so it is denied too.
"""
import json
import os
import sys

EPERM, ENOSYS, EAFNOSUPPORT = 1, 38, 97

AF_UNIX, AF_INET, AF_INET6, AF_NETLINK = 1, 2, 10, 16
NETLINK_ROUTE = 0
# CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET
NS_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]
NS_MASK = sum(NS_FLAGS)
assert NS_MASK == 0x7E020000

# More syscalls a judged program never needs, each with its reason.
EXTRA_EPERM = [
    # mount API: no CAP_SYS_ADMIN anyway; closes the door if a userns ever slips through
    "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
    "open_tree", "move_mount", "mount_setattr",
    # debugging / cross-process memory access
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    # SysV IPC objects and POSIX message queues live in the container's IPC namespace, which
    # outlives a job: a channel from one job to the next. Deny only creating/opening them, so
    # the supervisor's IPC_RMID cleanup (msgctl/semctl/shmctl) still works.
    "msgget", "semget", "shmget", "mq_open",
    # kernel log, file handles
    "syslog", "name_to_handle_at",
    # i386 multiplexers: through them socket() and the SysV calls would escape the rules above
    "socketcall", "ipc",
]


def rule(names, action, errno=None, args=None, includes=None, excludes=None, comment=None):
    r = {"names": list(names), "action": action, "args": args or [],
         "comment": comment or "", "includes": includes or {}, "excludes": excludes or {}}
    if errno is not None:
        r["errnoRet"] = errno
    return r


def arg(index, value, op, value_two=0):
    return {"index": index, "value": value, "valueTwo": value_two, "op": op}


def deny(names, errno, comment):
    return rule(names, "SCMP_ACT_ERRNO", errno, comment="runner: " + comment)


def socket_rules():
    out = []
    allow = [AF_UNIX, AF_INET, AF_INET6]
    for fam in allow:
        out.append(rule(["socket"], "SCMP_ACT_ALLOW", args=[arg(0, fam, "SCMP_CMP_EQ")],
                        comment="runner: socket family %d" % fam))
    out.append(rule(["socket"], "SCMP_ACT_ALLOW",
                    args=[arg(0, AF_NETLINK, "SCMP_CMP_EQ"), arg(2, NETLINK_ROUTE, "SCMP_CMP_EQ")],
                    comment="runner: socket AF_NETLINK/NETLINK_ROUTE only"))
    out.append(rule(["socket"], "SCMP_ACT_ERRNO", EAFNOSUPPORT,
                    args=[arg(0, AF_NETLINK, "SCMP_CMP_EQ"), arg(2, NETLINK_ROUTE, "SCMP_CMP_NE")],
                    comment="runner: other netlink protocols"))
    # every other family: 0, 3..9, 11..15 one by one, then >= 17
    for fam in [f for f in range(0, AF_NETLINK) if f not in allow]:
        out.append(rule(["socket"], "SCMP_ACT_ERRNO", EAFNOSUPPORT, args=[arg(0, fam, "SCMP_CMP_EQ")],
                        comment="runner: socket family %d" % fam))
    out.append(rule(["socket"], "SCMP_ACT_ERRNO", EAFNOSUPPORT, args=[arg(0, AF_NETLINK + 1, "SCMP_CMP_GE")],
                    comment="runner: socket families >= 17"))
    # socketpair: AF_UNIX only
    out.append(rule(["socketpair"], "SCMP_ACT_ALLOW", args=[arg(0, AF_UNIX, "SCMP_CMP_EQ")],
                    comment="runner: socketpair AF_UNIX"))
    out.append(rule(["socketpair"], "SCMP_ACT_ERRNO", EAFNOSUPPORT, args=[arg(0, 0, "SCMP_CMP_EQ")],
                    comment="runner: socketpair family 0"))
    out.append(rule(["socketpair"], "SCMP_ACT_ERRNO", EAFNOSUPPORT, args=[arg(0, AF_UNIX + 1, "SCMP_CMP_GE")],
                    comment="runner: socketpair families >= 2"))
    return out


def clone_rules():
    out = []
    # clone(flags, ...) has the flags in arg 0, except on s390/s390x (arg 1)
    for index, inc, exc in ((0, {}, {"arches": ["s390", "s390x"]}), (1, {"arches": ["s390", "s390x"]}, {})):
        out.append(rule(["clone"], "SCMP_ACT_ALLOW", args=[arg(index, NS_MASK, "SCMP_CMP_MASKED_EQ", 0)],
                        includes=inc, excludes=exc, comment="runner: clone without namespace flags"))
        for flag in NS_FLAGS:
            out.append(rule(["clone"], "SCMP_ACT_ERRNO", EPERM,
                            args=[arg(index, flag, "SCMP_CMP_MASKED_EQ", flag)],
                            includes=inc, excludes=exc, comment="runner: clone with namespace flag 0x%x" % flag))
    return out


def derive(src, extra=True):
    prof = json.loads(json.dumps(src))  # deep copy
    ours = [
        deny(["keyctl", "add_key", "request_key"], EPERM, "kernel keyrings"),
        deny(["unshare", "setns"], EPERM, "no new namespaces"),
        deny(["clone3"], ENOSYS, "clone3 flags live in memory, unfilterable; glibc falls back to clone"),
        deny(["io_uring_setup", "io_uring_enter", "io_uring_register"], ENOSYS, "io_uring"),
    ]
    if extra:
        ours.append(deny(EXTRA_EPERM, EPERM, "not needed by judged programs"))
    ours += clone_rules() + socket_rules()

    managed = {n for r in ours for n in r["names"]}
    kept = []
    for r in prof["syscalls"]:
        if r.get("comment", "").startswith("runner:"):
            continue  # our own entry from an earlier run
        names = [n for n in r["names"] if n not in managed]
        if names:
            r["names"] = names
            kept.append(r)
    prof["syscalls"] = kept + ours
    return prof


def main(argv):
    extra = "--no-extra" not in argv
    argv = [a for a in argv if a != "--no-extra"]
    src = argv[0] if argv else "/usr/share/containers/seccomp.json"
    dst = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "seccomp.json")
    with open(src) as f:
        prof = derive(json.load(f), extra)
    tmp = dst + ".tmp"
    with open(tmp, "w") as f:
        json.dump(prof, f, indent="\t")
        f.write("\n")
    os.replace(tmp, dst)
    print("wrote %s (%d entries)" % (dst, len(prof["syscalls"])))


if __name__ == "__main__":
    main(sys.argv[1:])
