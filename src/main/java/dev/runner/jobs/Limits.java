package dev.runner.jobs;

import dev.runner.lang.Language;
import dev.runner.sandbox.RunLimits;

/**
 * The limits policy, in one place: what a request may ask for, what every test, compile and checker
 * run gets from the supervisor, and how big a sandbox a job needs. The API's parser, the job runner,
 * the worker's pools and the supervisor (which takes every limit from the request and defaults none)
 * all take their figures from here; the README's tables say the same.
 */
public final class Limits {
  private Limits() {}

  // What a request may ask for.
  public static final int MAX_BODY_BYTES = 32 << 20;
  public static final int MAX_CODE_BYTES = 1 << 20;
  public static final int MAX_TESTS = 1000;
  public static final int MAX_TEST_TEXT_BYTES = 16 << 20;
  public static final double MIN_TIMEOUT_S = 0.1, MAX_TIMEOUT_S = 60, DEFAULT_TIMEOUT_S = 5;
  public static final int MIN_MEMORY_MB = 16, MAX_MEMORY_MB = 1024, DEFAULT_MEMORY_MB = 256;

  // What every test gets.
  /**
   * A program printing more than this on stdout gets OLE: contest answers of 200,000 numbers are 2 MB.
   * The supervisor sends it to the service as it arrives: it costs the sandbox's memory nothing.
   */
  public static final int OUTPUT_BYTES = 8 << 20;
  /** What a response carries of each stream; the rest is cut and marked truncated. */
  public static final int RETURNED_OUTPUT = 64 << 10;
  /** What a response carries of all its tests' output together. */
  public static final int RETURNED_PER_JOB = 4 << 20;
  private static final int FILE_BYTES = 64 << 20;
  private static final int PROCESSES = 64;
  private static final int OPEN_FILES = 256;
  /** The least stack of a program: deep recursion is normal in contest solutions. */
  private static final long MIN_STACK_BYTES = 64L << 20;

  // Compiles and checkers.
  /** The largest program a compiler may make (the compile's file size limit is above it, so it can say so). */
  public static final long MAX_ARTIFACT_BYTES = 48L << 20;
  public static final int CHECKER_MEMORY_MB = 256;
  public static final long CHECKER_TIME_MS = 10_000;
  private static final int CHECKER_OUTPUT_BYTES = 64 << 10;
  /** What a checker's message carries. */
  public static final int CHECKER_MESSAGE_CHARS = 4096;

  /** Room the supervisor needs beside the program: its own pages and the captured stderr. */
  private static final long SUPERVISOR_MB = 3;

  /**
   * A test of this job: its time limit for CPU and wall time; the stack may take the whole memory
   * limit, at least 64 MB (only what is touched counts against the memory limit). Interpreters too:
   * CPython recursion through C (an lru_cache'd function) overflows 8 MB at 30,000 levels; Node is
   * given a V8 stack of 48 MB (its --stack-size in languages.json) within it.
   */
  static RunLimits test(JobRequest job) {
    return new RunLimits(job.timeoutMs(), job.timeoutMs(), OUTPUT_BYTES, RETURNED_OUTPUT, FILE_BYTES, PROCESSES, OPEN_FILES,
        false, stack(job.memoryMb()));
  }

  /** Descriptors a runtime holds before the program opens any (Node's event loop, 19): on top of open_files. */
  private static final int RUNTIME_FILES = 32;

  /**
   * A case of a contest run: the seed's limits as the request set them (stdout, file size, open files
   * beyond the runtime's own), processes 1 meaning threads only; the stack as a test's.
   */
  static RunLimits contestCase(ContestJobs.Run job) {
    return new RunLimits(job.timeLimitMs(), job.wallLimitMs(), job.outputLimitKb() << 10, RETURNED_OUTPUT,
        job.fileSizeLimitKb() << 10, PROCESSES, job.openFiles() + RUNTIME_FILES, true, stack(job.memoryMb()));
  }

  private static long stack(int memoryMb) {
    return Math.max(MIN_STACK_BYTES, (long) memoryMb << 20);
  }

  /** A compile: the language's own limits (compilers need more than most programs). */
  static RunLimits compile(Language.Compile c) {
    return new RunLimits(c.timeMs(), c.timeMs(), c.outputBytes(), c.outputBytes(), MAX_ARTIFACT_BYTES + (1 << 20), PROCESSES,
        OPEN_FILES, false, MIN_STACK_BYTES);
  }

  /** A checker program's run, on one test. */
  static RunLimits checker() {
    return new RunLimits(CHECKER_TIME_MS, CHECKER_TIME_MS, CHECKER_OUTPUT_BYTES, CHECKER_OUTPUT_BYTES, FILE_BYTES, PROCESSES,
        OPEN_FILES, false, MIN_STACK_BYTES);
  }

  /**
   * The memory limit of a sandbox whose program may use {@code memoryMb} while the supervisor holds
   * {@code heldBytes} for it (inputs in memory, kept files and their copies in /work), plus the
   * supervisor's room. Rounded to whole MB so jobs of one limit share sandboxes without an update.
   */
  public static long sandboxMemoryBytes(int memoryMb, long heldBytes) {
    long heldMb = Math.max(1, (heldBytes + (1 << 20) - 1) >> 20);
    return (memoryMb + SUPERVISOR_MB + heldMb) << 20;
  }

  /** The longest a compile may take, with the sandbox's own work around it. */
  static long compileDeadlineMs(Language lang) {
    return lang.compiled() ? lang.compile().timeMs() + 5_000 : 0;
  }
}
