import type { ExecLimits } from "./executor.js";

/** Variables that every common BLAS / OpenMP / vectorised-math library reads for its thread count. */
export const THREAD_VARIABLES = [
  "OMP_NUM_THREADS",
  "OPENBLAS_NUM_THREADS",
  "MKL_NUM_THREADS",
  "NUMEXPR_NUM_THREADS",
  "NUMEXPR_MAX_THREADS",
  "VECLIB_MAXIMUM_THREADS",
  "BLIS_NUM_THREADS",
] as const;

/**
 * The complete environment of an agent program: nothing is inherited from the host, so no token, proxy
 * setting or path of the host leaks in, and every run sees the same variables.
 */
export function programEnv(opts: {
  limits: ExecLimits;
  home: string;
  tmp: string;
  /** Directories searched for executables, first wins (the venv's bin first). */
  path: string[];
  extra?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: opts.path.join(":"),
    HOME: opts.home,
    TMPDIR: opts.tmp,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    // Unbuffered so stdout and stderr interleave in the order the program wrote them, and nothing is lost
    // when the program is killed.
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    MPLBACKEND: "Agg",
  };
  for (const v of THREAD_VARIABLES) env[v] = String(opts.limits.threads);
  // joblib's n_jobs=-1 follows this; it also stops loky probing /sys (not mounted) for physical cores.
  env.LOKY_MAX_CPU_COUNT = String(opts.limits.threads);
  return { ...env, ...(opts.extra ?? {}) };
}
