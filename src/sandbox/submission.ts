import { closeSync, constants, fstatSync, openSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type SubmissionOutcome =
  { kind: "copied"; path: string; bytes: number } | { kind: "missing" } | { kind: "rejected"; reason: string };

/**
 * Copies `<dir>/submission.csv` to `<outDir>/submission.csv` without trusting anything the program made: the
 * final component is opened with O_NOFOLLOW (a planted symlink to a host file is refused, not followed),
 * O_NONBLOCK (a FIFO cannot hang us), and only a regular file of at most `maxBytes` is copied.
 */
export function copySubmission(dir: string, outDir: string, maxBytes: number): SubmissionOutcome {
  const src = join(dir, "submission.csv");
  let fd: number;
  try {
    fd = openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    if (code === "ELOOP") return { kind: "rejected", reason: "submission.csv is a symbolic link; only a regular file is accepted" };
    return { kind: "rejected", reason: `cannot open submission.csv (${code ?? String(e)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: "rejected", reason: "submission.csv is not a regular file" };
    if (st.size > maxBytes) return { kind: "rejected", reason: `submission.csv is ${st.size} bytes, over the ${maxBytes}-byte limit` };
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    const path = join(outDir, "submission.csv");
    writeFileSync(path, buf.subarray(0, off));
    return { kind: "copied", path, bytes: off };
  } finally {
    closeSync(fd);
  }
}
