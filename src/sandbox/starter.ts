/**
 * The first process of every run, between mlerl and the sandbox: a few lines of bash that
 * 1. close every descriptor mlerl inherited without close-on-exec (an answers file a caller left open on fd
 *    50, a log on fd 60 ...), keeping only stdio and the descriptors mlerl handed this run on purpose;
 * 2. move themselves into the run's cgroups before exec, so the sandbox and every descendant start inside
 *    them (no window in which a fast fork escapes the limits);
 * 3. mount the run's /home/submission tmpfs (root mode, submission-mount.ts);
 * 4. switch to a fresh, empty session keyring (keyutils' `keyctl new_session` gives its parent, this shell, a
 *    new one), so nothing the caller's session keyring holds is reachable even if the seccomp filter were
 *    missing;
 * then exec the sandbox. Node cannot close arbitrary descriptors in a child between fork and exec, bash
 * (unlike dash) can close descriptors above 9, and a fork from bash costs far less than a spawn from Node.
 */
const SCRIPT = [
  'keep=" $1 "; shift',
  "for f in /proc/$$/fd/*; do",
  "  fd=${f##*/}",
  '  [ "$fd" -gt 2 ] 2>/dev/null || continue',
  '  case "$keep" in *" $fd "*) continue ;; esac',
  "  exec {fd}>&-",
  "done",
  "n=$1; shift",
  'while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "mlerl-start: cannot join the cgroup $1" >&2; exit 125; }; shift; n=$((n-1)); done',
  'if [ -n "$1" ]; then "$1" -t tmpfs -o "$2" mlerl-submission "$3" || { echo "mlerl-start: cannot mount the tmpfs for /home/submission" >&2; exit 126; }; fi',
  "shift 3",
  // Without keyrings in the kernel the filter's refusal is the only (and a sufficient) barrier.
  'if [ -n "$1" ]; then "$1" new_session > /dev/null 2>&1 || true; fi',
  "shift",
  'exec "$@"',
].join("\n");

/** What `mount` gets for the submission tmpfs. */
export interface StarterMount {
  mount: string;
  options: string;
  dir: string;
}

export interface StarterPlan {
  bash: string;
  /** Descriptors above 2 that the sandbox must receive (data pipes, the launcher's report channel). */
  keepFds: number[];
  /** cgroup.procs files to join. */
  procsFiles: string[];
  /** The submission tmpfs to mount first, if any. */
  mount: StarterMount | null;
  /** keyutils' keyctl, to start the run in a fresh session keyring; null: keep the caller's (seccomp still blocks it). */
  keyctl: string | null;
  argv: string[];
}

/** The argv that starts `plan.argv` through the starter. */
export function starterArgv(plan: StarterPlan): string[] {
  return [
    plan.bash,
    // A Node pipe is a socket, and bash run with a socket on stdin reads ~/.bashrc unless told not to: the host's.
    "--norc",
    "--noprofile",
    "-c",
    SCRIPT,
    "mlerl-start",
    plan.keepFds.join(" "),
    String(plan.procsFiles.length),
    ...plan.procsFiles,
    plan.mount?.mount ?? "",
    plan.mount?.options ?? "",
    plan.mount?.dir ?? "",
    plan.keyctl ?? "",
    ...plan.argv,
  ];
}

/** A set-up failure the starter reported (it writes before the sandbox starts, so it is the first line of stderr). */
export function starterFailure(stderr: string): string | null {
  const m = /^mlerl-start: (.*)$/m.exec(stderr.split("\n", 1)[0] ?? "");
  return m ? (m[1] ?? null) : null;
}
