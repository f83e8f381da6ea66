/**
 * The system calls an agent program may not make, each with why. A plain ML program (numpy, pandas,
 * scikit-learn, LightGBM, XGBoost, joblib's processes and threads) needs none of them; each one either
 * reaches something outside the sandbox, reads or changes another process, or is kernel attack surface that
 * no such program uses. seccomp-filter.ts compiles this table into the classic-BPF program bubblewrap loads.
 *
 * Numbers are per architecture: x86_64 has its own table, aarch64 uses the kernel's generic one
 * (include/uapi/asm-generic/unistd.h). A call absent on an architecture has no number there.
 */

/** How a call is refused. */
export type Rule =
  /** Always refused with EPERM. */
  | { kind: "deny" }
  /** Refused with EPERM when the first argument has any of these flag bits (clone, unshare: CLONE_NEWUSER). */
  | { kind: "deny-if-flags"; mask: number }
  /**
   * Refused with ENOSYS: the C library then falls back to an older call the filter can inspect (clone3 passes
   * its flags in memory, where a seccomp filter cannot read them; glibc retries with clone).
   */
  | { kind: "enosys" }
  /** personality: reading the persona (0xffffffff) is allowed, setting any of these flags is refused. */
  | { kind: "deny-personality-flags"; mask: number };

export interface SyscallPolicy {
  name: string;
  x86_64: number;
  aarch64: number | null;
  rule: Rule;
  why: string;
}

const CLONE_NEWUSER = 0x10000000;
/** ADDR_NO_RANDOMIZE | MMAP_PAGE_ZERO | ADDR_COMPAT_LAYOUT | READ_IMPLIES_EXEC | ADDR_LIMIT_3GB */
const RISKY_PERSONALITY = 0x0040000 | 0x0100000 | 0x0200000 | 0x0400000 | 0x8000000;

const deny: Rule = { kind: "deny" };
const PRIVILEGED = "needs a capability the program never has; refused here too so a kernel bug in the check does not matter";
const MOUNTS = "changes the mount table (possible only with a user namespace of its own, which is refused too)";

export const SYSCALL_POLICY: readonly SyscallPolicy[] = [
  // Keyrings are not namespaced: without this the program could read the caller's session keyring, plant keys
  // the host session then holds, or leave keys in its uid's user keyring for the next run that gets that uid.
  { name: "keyctl", x86_64: 250, aarch64: 219, rule: deny, why: "reads and changes kernel keyrings shared with the host" },
  { name: "add_key", x86_64: 248, aarch64: 217, rule: deny, why: "stores keys in kernel keyrings shared with the host" },
  { name: "request_key", x86_64: 249, aarch64: 218, rule: deny, why: "looks keys up in kernel keyrings shared with the host" },
  // Reading or writing the memory of a process: another sandboxed process, the in-sandbox launcher (which
  // holds the report channel), or the program itself (markers' tags live in its own memory).
  { name: "ptrace", x86_64: 101, aarch64: 117, rule: deny, why: "reads and changes the memory and registers of processes" },
  { name: "process_vm_readv", x86_64: 310, aarch64: 270, rule: deny, why: "reads the memory of a process, its own included" },
  { name: "process_vm_writev", x86_64: 311, aarch64: 271, rule: deny, why: "writes the memory of a process" },
  { name: "pidfd_getfd", x86_64: 438, aarch64: 438, rule: deny, why: "copies an open file descriptor out of another process" },
  { name: "kcmp", x86_64: 312, aarch64: 272, rule: deny, why: "probes another process's kernel objects (address-space layout)" },
  // A user namespace of its own gives the program every capability inside it, and with them mounts, network
  // set-up and a large kernel attack surface. In root mode there is no outer user namespace for bubblewrap's
  // --disable-userns to restrict, so the filter is the only barrier.
  {
    name: "unshare",
    x86_64: 272,
    aarch64: 97,
    rule: { kind: "deny-if-flags", mask: CLONE_NEWUSER },
    why: "CLONE_NEWUSER creates a user namespace",
  },
  {
    name: "clone",
    x86_64: 56,
    aarch64: 220,
    rule: { kind: "deny-if-flags", mask: CLONE_NEWUSER },
    why: "CLONE_NEWUSER creates a user namespace",
  },
  { name: "clone3", x86_64: 435, aarch64: 435, rule: { kind: "enosys" }, why: "its flags cannot be inspected; glibc falls back to clone" },
  { name: "setns", x86_64: 308, aarch64: 268, rule: deny, why: "joins another namespace" },
  { name: "mount", x86_64: 165, aarch64: 40, rule: deny, why: MOUNTS },
  { name: "umount2", x86_64: 166, aarch64: 39, rule: deny, why: MOUNTS },
  { name: "pivot_root", x86_64: 155, aarch64: 41, rule: deny, why: MOUNTS },
  { name: "open_tree", x86_64: 428, aarch64: 428, rule: deny, why: MOUNTS },
  { name: "move_mount", x86_64: 429, aarch64: 429, rule: deny, why: MOUNTS },
  { name: "fsopen", x86_64: 430, aarch64: 430, rule: deny, why: MOUNTS },
  { name: "fsconfig", x86_64: 431, aarch64: 431, rule: deny, why: MOUNTS },
  { name: "fsmount", x86_64: 432, aarch64: 432, rule: deny, why: MOUNTS },
  { name: "fspick", x86_64: 433, aarch64: 433, rule: deny, why: MOUNTS },
  { name: "mount_setattr", x86_64: 442, aarch64: 442, rule: deny, why: MOUNTS },
  // Kernel attack surface that ML code does not use; the classic ingredients of local privilege escalation.
  { name: "bpf", x86_64: 321, aarch64: 280, rule: deny, why: "loads eBPF programs into the kernel" },
  { name: "perf_event_open", x86_64: 298, aarch64: 241, rule: deny, why: "hardware counters: side channels and a large kernel surface" },
  { name: "userfaultfd", x86_64: 323, aarch64: 282, rule: deny, why: "lets user code stall kernel page faults (widens kernel races)" },
  { name: "io_uring_setup", x86_64: 425, aarch64: 425, rule: deny, why: "io_uring: operations that bypass this filter, large surface" },
  { name: "io_uring_enter", x86_64: 426, aarch64: 426, rule: deny, why: "io_uring: operations that bypass this filter, large surface" },
  { name: "io_uring_register", x86_64: 427, aarch64: 427, rule: deny, why: "io_uring: operations that bypass this filter, large surface" },
  {
    name: "personality",
    x86_64: 135,
    aarch64: 92,
    rule: { kind: "deny-personality-flags", mask: RISKY_PERSONALITY },
    why: "turning off address randomisation or making data executable helps exploits",
  },
  { name: "syslog", x86_64: 103, aarch64: 116, rule: deny, why: "reads the kernel log (host details, kernel addresses)" },
  { name: "kexec_load", x86_64: 246, aarch64: 104, rule: deny, why: `loads a new kernel; ${PRIVILEGED}` },
  { name: "kexec_file_load", x86_64: 320, aarch64: 294, rule: deny, why: `loads a new kernel; ${PRIVILEGED}` },
  { name: "init_module", x86_64: 175, aarch64: 105, rule: deny, why: `loads kernel code; ${PRIVILEGED}` },
  { name: "finit_module", x86_64: 313, aarch64: 273, rule: deny, why: `loads kernel code; ${PRIVILEGED}` },
  { name: "delete_module", x86_64: 176, aarch64: 106, rule: deny, why: `unloads kernel code; ${PRIVILEGED}` },
  { name: "open_by_handle_at", x86_64: 304, aarch64: 265, rule: deny, why: `opens files by handle, past the mount layout; ${PRIVILEGED}` },
  { name: "reboot", x86_64: 169, aarch64: 142, rule: deny, why: PRIVILEGED },
  { name: "swapon", x86_64: 167, aarch64: 224, rule: deny, why: PRIVILEGED },
  { name: "swapoff", x86_64: 168, aarch64: 225, rule: deny, why: PRIVILEGED },
  { name: "chroot", x86_64: 161, aarch64: 51, rule: deny, why: PRIVILEGED },
  { name: "acct", x86_64: 163, aarch64: 89, rule: deny, why: PRIVILEGED },
  { name: "quotactl", x86_64: 179, aarch64: 60, rule: deny, why: PRIVILEGED },
  { name: "iopl", x86_64: 172, aarch64: null, rule: deny, why: `raw I/O-port access; ${PRIVILEGED}` },
  { name: "ioperm", x86_64: 173, aarch64: null, rule: deny, why: `raw I/O-port access; ${PRIVILEGED}` },
];
