package dev.runner.sandbox;

/** Per-test limits the supervisor enforces with rlimits, its wall timer and output caps. */
public record RunLimits(long cpuMs, long wallMs, long stdoutBytes, long stderrBytes, long fileBytes, int processes, int openFiles) {
  String header() {
    return "cpu_ms=" + cpuMs + " wall_ms=" + wallMs + " out_bytes=" + stdoutBytes + " err_bytes=" + stderrBytes
        + " fsize_bytes=" + fileBytes + " nproc=" + processes + " nofile=" + openFiles;
  }
}
