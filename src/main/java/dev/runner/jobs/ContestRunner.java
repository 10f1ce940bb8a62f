package dev.runner.jobs;

import dev.runner.cache.ContentCache;
import dev.runner.lang.Language;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.RunLimits;
import dev.runner.sandbox.RunResult;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.SupervisorClient;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contest API's work on a leased sandbox: compiling a submission into a program stored in the
 * cluster's cache under its token, and running a token's program on every case of a cached input
 * set, each case's stdout hashed (md5) as it streams out of the sandbox, never held whole.
 */
public final class ContestRunner {
  /** What an input set's entry says: its cases' names and sizes, in order; its bytes are the inputs one after another. */
  public static final String CASES = "cases", SIZES = "sizes";

  private ContestRunner() {}

  /**
   * Compiles (or, for an interpreted language, syntax-checks) the submission and stores the program
   * under the job's token; the caller resets the sandbox.
   */
  public static Future<ContestJobs.Compiled> compile(SandboxPool.Lease lease, Language lang, ContestJobs.Compile job,
                                                     Programs programs, Future<Void> cancelled) {
    String code = job.files().get(job.main());
    Future<Compilation.Compiled> compiled;
    if (lang.compiled()) {
      Map<String, String> others = new TreeMap<>(job.files());
      others.remove(job.main());
      compiled = Compilation.artifact(lease, lang, code, others, Limits.sandboxMemoryBytes(Limits.DEFAULT_MEMORY_MB, 0), cancelled);
    } else {
      Buffer source = Buffer.buffer(code);
      compiled = Compilation.syntaxCheck(lease.sandbox().supervisor(), lang, source.getBytes(), Limits.checker())
          .map(o -> new Compilation.Compiled(o, o.ok() ? source : null));
    }
    return compiled.compose(c -> {
      CompileOutcome o = c.outcome();
      if (!o.ok()) {
        String error = o.output().isBlank() ? o.error() : o.output();
        return Future.succeededFuture(new ContestJobs.Compiled(false, o.timeMs(), error));
      }
      return programs.store(lang, job.token(), c.artifact(), code, o).map(e -> new ContestJobs.Compiled(true, o.timeMs(), null));
    });
  }

  /** The sandbox memory of a run: the limit, the largest case (held while it runs) and the program twice (kept and in /work). */
  static long sandboxMemoryBytes(ContestJobs.Run job, long programBytes, long largestCase) {
    return Limits.sandboxMemoryBytes(job.memoryMb(), largestCase + 2 * programBytes);
  }

  /** The sizes of an input set's cases, from its entry. */
  public static long[] sizes(ContentCache.Entry input) {
    JsonArray a = input.meta().getJsonArray(SIZES);
    long[] sizes = new long[a.size()];
    for (int i = 0; i < sizes.length; i++) sizes[i] = a.getLong(i);
    return sizes;
  }

  /**
   * Runs the program (stored first, kept for every case) on each case in order. {@code inputs}: the
   * set's bytes, pinned on this node's disk for the run.
   */
  static Future<ContestJobs.Results> run(Vertx vertx, SandboxPool.Lease lease, Language lang, ContestJobs.Run job,
                                         Programs.Program program, ContentCache.Pinned inputs, Future<Void> cancelled,
                                         Progress progress) {
    SupervisorClient sv = lease.sandbox().supervisor();
    boolean[] finished = {false}; // after this run the sandbox is another's: never abort that one
    cancelled.onComplete(v -> {
      if (!finished[0]) sv.abort();
    });
    List<String> argv = lang.compiled() ? lang.runArtifact(program.mainClass(), job.memoryMb()) : lang.run("program");
    JsonArray names = inputs.entry().meta().getJsonArray(CASES);
    long[] sizes = sizes(inputs.entry());
    RunLimits limits = Limits.contestCase(job);
    List<ContestJobs.CaseResult> results = new ArrayList<>(sizes.length);
    Future<Void> done = sv.put(program.artifact(), program.bytes().getBytes(), lang.compiled() ? 0755 : 0644, true);
    long offset = 0;
    for (int i = 0; i < sizes.length; i++) {
      long at = offset, size = sizes[i];
      int index = i;
      String name = names.getString(i);
      offset += size;
      done = done.compose(v -> {
        if (cancelled.isComplete()) return Future.failedFuture(new JobCancelledException());
        return read(vertx, inputs.path(), at, size);
      }).compose(stdin -> {
        OutputDigest out = new OutputDigest(job.includeOutput() ? Limits.RETURNED_OUTPUT : 0);
        return sv.run(argv, stdin, limits, false, null, out).compose(r -> {
          if (r.aborted()) return Future.failedFuture(new JobCancelledException());
          results.add(result(name, r, lang, out, job.includeOutput()));
          progress.caseJudged(index, results.get(index));
          return Future.succeededFuture();
        });
      });
    }
    return done.map(v -> new ContestJobs.Results(results)).onComplete(ar -> finished[0] = true);
  }

  private static ContestJobs.CaseResult result(String name, RunResult r, Language lang, OutputDigest out, boolean includeOutput) {
    Verdict v = Verdict.ofRun(r, lang.outOfMemoryMarker());
    boolean ok = v == null;
    boolean exited = r.signal() == 0 && !r.timeLimit() && !r.outputLimit();
    String shown = includeOutput ? out.head.toString(StandardCharsets.UTF_8) : null;
    return new ContestJobs.CaseResult(name, ok ? "OK" : v.name(), r.cpuMs(), r.wallMs(), r.sysMs(), r.memoryKb(),
        ok ? out.hex() : null, exited ? r.exitCode() : null, r.signal(), shown, includeOutput ? out.bytes > out.head.length() : null, null);
  }

  /** Bytes {@code at..at+size} of a cached file, read off the event loop, never through a link. */
  static Future<byte[]> read(Vertx vertx, Path file, long at, long size) {
    return vertx.executeBlocking(() -> {
      try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
        ch.position(at);
        while (b.hasRemaining()) {
          if (ch.read(b) < 0) throw new IOException(file + " ends before its case at " + at);
        }
        return b.array();
      }
    }, false);
  }

  /** A case's stdout as it streams: its md5, its length and its first {@code keep} bytes. */
  static final class OutputDigest implements Handler<Buffer> {
    private final MessageDigest md5;
    private final int keep;
    final Buffer head = Buffer.buffer();
    long bytes;

    OutputDigest(int keep) {
      this.keep = keep;
      try {
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every Java has MD5", e);
      }
    }

    @Override
    public void handle(Buffer chunk) {
      md5.update(chunk.getBytes());
      bytes += chunk.length();
      if (head.length() < keep) head.appendBuffer(chunk, 0, Math.min(chunk.length(), keep - head.length()));
    }

    String hex() {
      return HexFormat.of().formatHex(md5.digest());
    }
  }
}
