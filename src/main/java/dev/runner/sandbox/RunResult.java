package dev.runner.sandbox;

import io.vertx.core.buffer.Buffer;

/** What the supervisor measured for one test run. */
public record RunResult(int exitCode, int signal, long cpuMs, long wallMs, long memoryKb,
                        boolean timeLimit, boolean outputLimit, boolean memoryLimit,
                        Buffer stdout, Buffer stderr, boolean stderrTruncated, Buffer report) {}
