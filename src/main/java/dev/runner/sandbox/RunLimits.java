package dev.runner.sandbox;

/**
 * Per-test limits the supervisor enforces with rlimits, its wall timer, output caps and its seccomp
 * filter. {@code processes} bounds processes and threads together (RLIMIT_NPROC); {@code threadsOnly}
 * forbids new processes altogether (fork, vfork, clone without CLONE_THREAD), threads still allowed.
 */
public record RunLimits(long cpuMs, long wallMs, long stdoutBytes, long stderrBytes, long fileBytes, int processes,
                        int openFiles, boolean threadsOnly) {
  String header() {
    return "cpu_ms=" + cpuMs + " wall_ms=" + wallMs + " out_bytes=" + stdoutBytes + " err_bytes=" + stderrBytes
        + " fsize_bytes=" + fileBytes + " nproc=" + processes + " nofile=" + openFiles + " nofork=" + (threadsOnly ? 1 : 0);
  }
}
