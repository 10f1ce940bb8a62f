package dev.runner.sandbox;

import io.vertx.core.buffer.Buffer;

/**
 * What the supervisor measured for one test run; CPU time and peak memory cover its whole process
 * tree. {@code aborted}: the host cut the run short (the job was cancelled).
 */
public record RunResult(int exitCode, int signal, long cpuMs, long wallMs, long memoryKb,
                        boolean timeLimit, boolean outputLimit, boolean memoryLimit, boolean aborted,
                        Buffer stdout, Buffer stderr, boolean stderrTruncated, Buffer report) {}
