/**
 * The first process of every run, between mlerl and the sandbox: a few lines of bash that
 * 1. close every descriptor mlerl inherited without close-on-exec (an answers file a caller left open on fd
 *    50, a log on fd 60 ...), keeping only stdio and the descriptors mlerl handed this run on purpose;
 * 2. move themselves into the run's cgroups before exec, so the sandbox and every descendant start inside
 *    them (no window in which a fast fork escapes the limits);
 * 3. join a fresh, empty session keyring (keyutils' `keyctl session -`), so nothing the caller's session
 *    keyring holds is reachable even if the seccomp filter were missing;
 * then exec the sandbox. Node cannot close arbitrary descriptors in a child between fork and exec, and bash
 * (unlike dash) can close descriptors above 9.
 *
 * `keyctl session` announces the keyring it joined on stderr; its stderr is /dev/null and a second pass of the
 * same script restores the real stderr before the sandbox starts.
 */
const SCRIPT = [
  'if [ "$1" = restore ]; then',
  "  saved=$2; shift 2",
  '  exec 2>&"$saved" {saved}>&-',
  '  exec "$@"',
  "fi",
  "shift",
  'keep=" $1 "; shift',
  "for f in /proc/$$/fd/*; do",
  "  fd=${f##*/}",
  '  [ "$fd" -gt 2 ] 2>/dev/null || continue',
  '  case "$keep" in *" $fd "*) continue ;; esac',
  "  exec {fd}>&-",
  "done",
  "n=$1; shift",
  'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done',
  "keyctl=$1; shift",
  'if [ -n "$keyctl" ]; then',
  "  exec {saved}>&2",
  '  exec "$keyctl" session - "$BASH" -c "$BASH_EXECUTION_STRING" mlerl-start restore "$saved" "$@" 2>/dev/null',
  "fi",
  'exec "$@"',
].join("\n");

export interface StarterPlan {
  bash: string;
  /** Descriptors above 2 that the sandbox must receive (data pipes, the launcher's report channel). */
  keepFds: number[];
  /** cgroup.procs files to join. */
  procsFiles: string[];
  /** keyutils' keyctl, to start the run in a fresh session keyring; null: keep the caller's (seccomp still blocks it). */
  keyctl: string | null;
  argv: string[];
}

/** The argv that starts `plan.argv` through the starter. */
export function starterArgv(plan: StarterPlan): string[] {
  return [
    plan.bash,
    "-c",
    SCRIPT,
    "mlerl-start",
    "start",
    plan.keepFds.join(" "),
    String(plan.procsFiles.length),
    ...plan.procsFiles,
    plan.keyctl ?? "",
    ...plan.argv,
  ];
}
