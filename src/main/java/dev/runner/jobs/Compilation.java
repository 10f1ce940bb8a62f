package dev.runner.jobs;

import dev.runner.cache.ContentCache;
import dev.runner.lang.Language;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.LongUnaryOperator;

/**
 * The compile step of a compiled language, in a leased sandbox, for a contestant's code or a
 * checker's: the source is put in, the compiler runs with the language's compile limits, and its
 * artifact is taken out through the supervisor (never by a host-side file operation); then the
 * sandbox is reset (the compiler and the source are gone), set to the memory the program will need,
 * and given the artifact alone. What runs afterwards never meets the compiler.
 */
final class Compilation {
  private Compilation() {}

  /**
   * {@code floorBytes}: the least memory the sandbox keeps while compiling (the job's own size);
   * {@code runMemory}: the sandbox memory for running, given the artifact's size.
   */
  static Future<CompileOutcome> compile(SandboxPool.Lease lease, Language lang, String code, long floorBytes,
                                        LongUnaryOperator runMemory, Future<Void> cancelled) {
    return compile(lease, lang, code, Map.of(), floorBytes, runMemory, cancelled);
  }

  /**
   * {@code others}: files put beside the source, by their plain names (headers, Java classes of their
   * own files), gone with the compiler.
   */
  static Future<CompileOutcome> compile(SandboxPool.Lease lease, Language lang, String code, Map<String, String> others,
                                        long floorBytes, LongUnaryOperator runMemory, Future<Void> cancelled) {
    return artifact(lease, lang, code, others, floorBytes, cancelled).compose(compiled -> !compiled.outcome().ok()
        ? Future.succeededFuture(compiled.outcome())
        : install(lease, lang.compile().artifact(), compiled.artifact(), runMemory).map(compiled.outcome()));
  }

  /**
   * The sandbox reset (the compiler, the source and what the compile left are gone), set to the
   * memory the program needs and given the program alone, kept for every test after.
   */
  static Future<Void> install(SandboxPool.Lease lease, String name, Buffer program, LongUnaryOperator runMemory) {
    SupervisorClient sv = lease.sandbox().supervisor();
    return sv.reset()
        .compose(v -> lease.resize(runMemory.applyAsLong(program.length())))
        .compose(v -> sv.put(name, program.getBytes(), 0755, true));
  }

  /** A compile's outcome and, when it succeeded, the program it made. */
  record Compiled(CompileOutcome outcome, Buffer artifact) {}

  /**
   * The compiler's run alone: the sandbox is left as the compiler left it (the caller resets it) and
   * the program comes back as bytes (a contest compile stores them in the cache).
   */
  static Future<Compiled> artifact(SandboxPool.Lease lease, Language lang, String code, Map<String, String> others,
                                   long floorBytes, Future<Void> cancelled) {
    SupervisorClient sv = lease.sandbox().supervisor();
    Language.Compile c = lang.compile();
    byte[] source = code.getBytes(StandardCharsets.UTF_8);
    String file = lang.sourceFile(code);
    if (file.getBytes(StandardCharsets.UTF_8).length > 255) { // a 300-character class name
      return Future.succeededFuture(failed(CompileOutcome.failed(0, "", false, "the class name is too long for a file name")));
    }
    long sourceBytes = source.length + others.values().stream().mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
    long compileMemory = Math.max(floorBytes, Limits.sandboxMemoryBytes(c.memoryMb(), 2L * sourceBytes));
    RunLimits limits = Limits.compile(c);
    Future<Void> stored = lease.resize(compileMemory).compose(v -> sv.put(file, source, 0644, false));
    for (Map.Entry<String, String> other : others.entrySet()) {
      stored = stored.compose(v -> sv.put(other.getKey(), other.getValue().getBytes(StandardCharsets.UTF_8), 0644, false));
    }
    return stored
        .compose(v -> cancelled.isComplete() ? Future.failedFuture(new JobCancelledException())
            : sv.run(lang.compileCommand(code), new byte[0], limits, false,
                new SupervisorClient.Collect(c.artifact(), Limits.MAX_ARTIFACT_BYTES)))
        .compose(r -> {
          if (r.aborted() || cancelled.isComplete()) return Future.failedFuture(new JobCancelledException());
          String all = r.stdout().toString(StandardCharsets.UTF_8) + r.stderr().toString(StandardCharsets.UTF_8);
          boolean truncated = r.stderrTruncated() || all.length() > Limits.RETURNED_OUTPUT;
          String output = truncated ? all.substring(0, Math.min(all.length(), Limits.RETURNED_OUTPUT)) : all;
          String error = r.timeLimit() ? "compilation timed out (" + JobRunner.seconds(c.timeMs()) + ")"
              : r.memoryLimit() ? "the compiler ran out of memory (" + (compileMemory >> 20) + " MB)"
              : r.outputLimit() ? "compiler output too long"
              : r.signal() != 0 ? "the compiler was killed by signal " + r.signal()
              : r.exitCode() != 0 ? "compilation failed"
              : r.artifact().status() == 2 ? "the compiled program is larger than " + (Limits.MAX_ARTIFACT_BYTES >> 20) + " MB"
              : !r.artifact().taken() ? "the compiler made no program"
              : null;
          if (error != null) return Future.succeededFuture(failed(CompileOutcome.failed(r.wallMs(), output, truncated, error)));
          Buffer artifact = r.artifact().bytes();
          return Future.succeededFuture(new Compiled(CompileOutcome.ok(r.wallMs(), output, truncated, ContentCache.sha256(artifact)), artifact));
        });
  }

  /**
   * An interpreted language's compile step: the source is stored (kept, for the runs after) and its
   * harness parses it without running it ("program") or reports the error.
   */
  static Future<CompileOutcome> syntaxCheck(SupervisorClient sv, Language lang, byte[] source, RunLimits limits) {
    return sv.put(lang.file(), source, 0644, true)
        .compose(v -> sv.run(lang.run("syntax"), new byte[0], limits, true))
        .compose(r -> {
          if (r.aborted()) return Future.failedFuture(new JobCancelledException());
          if (r.report().toString(StandardCharsets.UTF_8).trim().equals("program")) {
            return Future.succeededFuture(CompileOutcome.ok(r.wallMs(), "", false, null));
          }
          String err = r.stderr().toString(StandardCharsets.UTF_8);
          return Future.succeededFuture(CompileOutcome.failed(r.wallMs(), err, r.stderrTruncated(),
              r.timeLimit() ? "the syntax check timed out" : "compilation failed"));
        });
  }

  private static Compiled failed(CompileOutcome outcome) {
    return new Compiled(outcome, null);
  }
}
