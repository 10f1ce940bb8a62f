package dev.runner.sandbox;

/**
 * Per-test limits the supervisor enforces with rlimits, its wall timer, output caps and its seccomp
 * filter. {@code processes} bounds processes and threads together (RLIMIT_NPROC); {@code threadsOnly}
 * forbids new processes altogether (fork, vfork, clone without CLONE_THREAD), threads still allowed.
 */
public record RunLimits(long cpuMs, long wallMs, long stdoutBytes, long stderrBytes, long fileBytes, int processes,
                        int openFiles, boolean threadsOnly, long stackBytes) {
  /** The stack a test gets: deep recursion is normal in contest solutions. */
  public static final long DEFAULT_STACK_BYTES = 64L << 20;

  public RunLimits(long cpuMs, long wallMs, long stdoutBytes, long stderrBytes, long fileBytes, int processes,
                   int openFiles, boolean threadsOnly) {
    this(cpuMs, wallMs, stdoutBytes, stderrBytes, fileBytes, processes, openFiles, threadsOnly, DEFAULT_STACK_BYTES);
  }

  /** The RUN header's limit fields, all of them: the supervisor refuses a RUN without any one. */
  String header() {
    return "cpu_ms=" + cpuMs + " wall_ms=" + wallMs + " out_bytes=" + stdoutBytes + " err_bytes=" + stderrBytes
        + " fsize_bytes=" + fileBytes + " nproc=" + processes + " nofile=" + openFiles + " nofork=" + (threadsOnly ? 1 : 0)
        + " stack_bytes=" + stackBytes;
  }
}
