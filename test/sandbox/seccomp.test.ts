import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { endianness } from "node:os";
import { compileSeccompFilter } from "../../src/sandbox/seccomp-filter.js";
import { SYSCALL_POLICY } from "../../src/sandbox/seccomp-policy.js";

// The compiled filter is run here by a small classic-BPF interpreter (the kernel's semantics for the few
// instructions it uses), so every entry of the policy is checked against the verdict the kernel would reach.

const ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7, i386: 0x40000003 } as const;
const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const KILL = 0x80000000;

function run(filter: Buffer, nr: number, arch: number, args: number[] = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeUInt32LE(a >>> 0, 16 + 8 * i));
  const le = endianness() === "LE";
  let acc = 0;
  for (let pc = 0; pc < filter.length / 8;) {
    const code = le ? filter.readUInt16LE(pc * 8) : filter.readUInt16BE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = le ? filter.readUInt32LE(pc * 8 + 4) : filter.readUInt32BE(pc * 8 + 4);
    if (code === 0x20) {
      acc = data.readUInt32LE(k);
      pc++;
    } else if (code === 0x06) return k;
    else if (code === 0x15) pc += 1 + (acc === k ? jt : jf);
    else if (code === 0x35) pc += 1 + (acc >= k ? jt : jf);
    else if (code === 0x45) pc += 1 + ((acc & k) !== 0 ? jt : jf);
    else throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
  }
  throw new Error("fell off the end of the filter");
}

test("every listed call gets its verdict on both architectures; other calls are allowed", () => {
  const filter = compileSeccompFilter();
  assert.equal(filter.length % 8, 0);
  for (const arch of ["x86_64", "aarch64"] as const) {
    for (const p of SYSCALL_POLICY) {
      const nr = p[arch];
      if (nr === null) continue;
      const verdict = (args: number[] = []) => run(filter, nr, ARCH[arch], args);
      switch (p.rule.kind) {
        case "deny":
          assert.equal(verdict(), EPERM, `${p.name} on ${arch}`);
          break;
        case "enosys":
          assert.equal(verdict(), ENOSYS, `${p.name} on ${arch}`);
          break;
        case "deny-if-flags":
          assert.equal(verdict([p.rule.mask]), EPERM, `${p.name} with the flag on ${arch}`);
          assert.equal(verdict([0x11]), ALLOW, `${p.name} without the flag on ${arch}`); // SIGCHLD-only clone: a fork
          break;
        case "deny-personality-flags":
          assert.equal(verdict([0xffffffff]), ALLOW, "reading the persona");
          assert.equal(verdict([0]), ALLOW, "PER_LINUX");
          assert.equal(verdict([0x0040000]), EPERM, "ADDR_NO_RANDOMIZE");
          break;
      }
    }
  }
  // Calls a Python program makes all the time.
  for (const nr of [0, 1, 2, 3, 9, 57, 59, 60, 231]) assert.equal(run(filter, nr, ARCH.x86_64), ALLOW, `x86_64 call ${nr}`);
  for (const nr of [63, 64, 56, 57, 222, 93, 94, 221]) assert.equal(run(filter, nr, ARCH.aarch64), ALLOW, `aarch64 call ${nr}`);
  // Other ABIs would reach the denied calls under other numbers: the process is killed.
  assert.equal(run(filter, 0x40000000 + 250, ARCH.x86_64), KILL, "x32 keyctl");
  assert.equal(run(filter, 0x40000000, ARCH.x86_64), KILL, "x32 read");
  assert.equal(run(filter, 288, ARCH.i386), KILL, "i386 keyctl");
});

test("the keyring, ptrace and process_vm calls are on the list, each with a reason", () => {
  const names = new Set(SYSCALL_POLICY.map((p) => p.name));
  for (const n of [
    "keyctl",
    "add_key",
    "request_key",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "unshare",
    "setns",
    "clone3",
    "personality",
  ])
    assert.ok(names.has(n), n);
  for (const p of SYSCALL_POLICY) assert.ok(p.why.length > 10, `${p.name} has a reason`);
  assert.equal(names.size, SYSCALL_POLICY.length, "no call listed twice");
});

// The numbers are the kernel's ABI; where the kernel headers are installed they are checked against them.
const X86_HEADER = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
const GENERIC_HEADER = "/usr/include/asm-generic/unistd.h";

function headerNumbers(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(path, "utf8").matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

test(
  "the syscall numbers match the kernel headers",
  { skip: !existsSync(X86_HEADER) && !existsSync(GENERIC_HEADER) && "no kernel headers installed" },
  () => {
    if (existsSync(X86_HEADER)) {
      const h = headerNumbers(X86_HEADER);
      for (const p of SYSCALL_POLICY) assert.equal(p.x86_64, h.get(p.name), `x86_64 ${p.name}`);
    }
    if (existsSync(GENERIC_HEADER)) {
      const h = headerNumbers(GENERIC_HEADER);
      for (const p of SYSCALL_POLICY) assert.equal(p.aarch64, h.get(p.name) ?? null, `aarch64 ${p.name}`);
    }
  },
);
