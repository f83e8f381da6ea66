import { endianness } from "node:os";
import { SYSCALL_POLICY, type SyscallPolicy } from "./seccomp-policy.js";

/**
 * Compiles SYSCALL_POLICY into a classic-BPF seccomp program, the format bubblewrap's `--seccomp FD` loads
 * (an array of struct sock_filter, 8 bytes each, in host byte order). No libseccomp: the filter is a short
 * linear list, assembled here.
 *
 * Shape: check the architecture (x86_64 or aarch64; anything else, the i386 and x32 ABIs of an x86_64 kernel
 * included, kills the process: a program could otherwise reach the denied calls under other numbers), then one
 * comparison per listed call, then allow.
 */

// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i + (endianness() === "LE" ? 0 : 4);

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 system calls come in on the x86_64 arch value, marked by this bit of the number. */
const X32_SYSCALL_BIT = 0x40000000;

const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

// Opcodes (linux/filter.h): class | size | mode, class | op | source.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

type Target = string | null; // a label, or null: the next instruction
type Insn = { op: "ld"; off: number } | { op: "ret"; k: number } | { op: "jmp"; code: number; k: number; jt: Target; jf: Target };

/** A forward-only assembler: jumps name labels; both branches are resolved to 8-bit offsets at the end. */
class Assembler {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();

  label(name: string): void {
    if (this.labels.has(name)) throw new Error(`seccomp: label ${name} defined twice`);
    this.labels.set(name, this.insns.length);
  }
  load(off: number): void {
    this.insns.push({ op: "ld", off });
  }
  ret(k: number): void {
    this.insns.push({ op: "ret", k });
  }
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ op: "jmp", code, k, jt, jf });
  }

  bytes(): Buffer {
    const buf = Buffer.alloc(this.insns.length * 8);
    const le = endianness() === "LE";
    this.insns.forEach((insn, i) => {
      const rel = (t: Target): number => {
        if (t === null) return 0;
        const at = this.labels.get(t);
        if (at === undefined) throw new Error(`seccomp: undefined label ${t}`);
        const off = at - i - 1;
        if (off < 0 || off > 255) throw new Error(`seccomp: jump to ${t} out of range (${off})`);
        return off;
      };
      const [code, jt, jf, k] =
        insn.op === "ld"
          ? [LD_W_ABS, 0, 0, insn.off]
          : insn.op === "ret"
            ? [RET_K, 0, 0, insn.k]
            : [insn.code, rel(insn.jt), rel(insn.jf), insn.k];
      if (le) buf.writeUInt16LE(code, i * 8);
      else buf.writeUInt16BE(code, i * 8);
      buf.writeUInt8(jt, i * 8 + 2);
      buf.writeUInt8(jf, i * 8 + 3);
      if (le) buf.writeUInt32LE(k >>> 0, i * 8 + 4);
      else buf.writeUInt32BE(k >>> 0, i * 8 + 4);
    });
    return buf;
  }

  get length(): number {
    return this.insns.length;
  }
}

function dispatch(a: Assembler, policy: readonly SyscallPolicy[], arch: "x86_64" | "aarch64"): void {
  for (const p of policy) {
    const nr = p[arch];
    if (nr === null) continue;
    const target =
      p.rule.kind === "deny"
        ? "eperm"
        : p.rule.kind === "enosys"
          ? "enosys"
          : p.rule.kind === "deny-if-flags"
            ? `flags-${p.rule.mask}`
            : `personality-${p.rule.mask}`;
    a.jump(JEQ_K, nr, target, null);
  }
  a.ret(RET_ALLOW);
}

/** The compiled filter for this policy (by default SYSCALL_POLICY). */
export function compileSeccompFilter(policy: readonly SyscallPolicy[] = SYSCALL_POLICY): Buffer {
  const a = new Assembler();
  a.load(OFF_ARCH);
  a.jump(JEQ_K, AUDIT_ARCH_X86_64, "x86_64", null);
  a.jump(JEQ_K, AUDIT_ARCH_AARCH64, "aarch64", "kill");

  a.label("x86_64");
  a.load(OFF_NR);
  a.jump(JGE_K, X32_SYSCALL_BIT, "kill", null);
  dispatch(a, policy, "x86_64");

  a.label("aarch64");
  a.load(OFF_NR);
  dispatch(a, policy, "aarch64");

  // Shared tails: argument checks, then the verdicts.
  const flagMasks = new Set<number>();
  const personalityMasks = new Set<number>();
  for (const p of policy) {
    if (p.rule.kind === "deny-if-flags") flagMasks.add(p.rule.mask);
    if (p.rule.kind === "deny-personality-flags") personalityMasks.add(p.rule.mask);
  }
  for (const mask of flagMasks) {
    a.label(`flags-${mask}`);
    a.load(argLow(0));
    a.jump(JSET_K, mask, "eperm", "allow");
  }
  for (const mask of personalityMasks) {
    a.label(`personality-${mask}`);
    a.load(argLow(0));
    a.jump(JEQ_K, 0xffffffff, "allow", null);
    a.jump(JSET_K, mask, "eperm", "allow");
  }
  a.label("allow");
  a.ret(RET_ALLOW);
  a.label("eperm");
  a.ret(RET_ERRNO | EPERM);
  a.label("enosys");
  a.ret(RET_ERRNO | ENOSYS);
  a.label("kill");
  a.ret(RET_KILL_PROCESS);
  if (a.length > 4096) throw new Error("seccomp: filter too long"); // BPF_MAXINSNS
  return a.bytes();
}

let cached: Buffer | undefined;

/** SYSCALL_POLICY compiled once per process. */
export function sandboxSeccompFilter(): Buffer {
  cached ??= compileSeccompFilter();
  return cached;
}
