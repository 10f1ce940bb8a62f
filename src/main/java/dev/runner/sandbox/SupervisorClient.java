package dev.runner.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;

/**
 * One connection to a container's resident supervisor (see containers/supervisor/supervisor.c for
 * the protocol). Requests are answered in order, so replies are matched to a FIFO of promises; a
 * RUN's stdout comes in OUT frames before its RESULT and is gathered here, never in the sandbox.
 * A request other than RUN (whose bound is the job's deadline) that is not answered within
 * {@link #EXCHANGE_TIMEOUT_MS} closes the connection: a hung supervisor never holds a sandbox.
 */
public final class SupervisorClient {
  static final long EXCHANGE_TIMEOUT_MS = 15_000;
  private final Vertx vertx;
  private final NetSocket socket;
  private final Queue<Pending> pending = new ArrayDeque<>();
  private final RecordParser parser;
  private Map<String, Long> header;
  /** The running test's stdout so far (OUT frames); its RESULT's reply takes it. */
  private Buffer stdout = Buffer.buffer();
  private boolean outFrame;
  private String verb;
  private boolean closed;
  private final Promise<Void> closure = Promise.promise();

  /** A request awaiting its reply; {@code stdoutSink}: where a RUN's OUT frames go, or null to gather them. */
  private record Pending(Promise<Reply> reply, Handler<Buffer> stdoutSink) {}

  /** {@code stdout}: what a RUN's OUT frames brought before its reply (empty when they went to a sink). */
  private record Reply(String verb, String line, Map<String, Long> fields, Buffer body, Buffer stdout) {}

  /** A file to take out of the sandbox after a run: its name in /work and the most bytes it may have. */
  public record Collect(String name, long maxBytes) {}

  private SupervisorClient(Vertx vertx, NetSocket socket) {
    this.vertx = vertx;
    this.socket = socket;
    this.parser = RecordParser.newDelimited("\n", this::onRecord);
    socket.handler(parser);
    socket.closeHandler(v -> {
      closed = true;
      failAll(new SandboxFailure("supervisor connection closed"));
      closure.tryComplete();
    });
    socket.exceptionHandler(this::failAll);
  }

  public static Future<SupervisorClient> connect(Vertx vertx, NetClient client, String socketPath) {
    return client.connect(SocketAddress.domainSocketAddress(socketPath)).map(s -> new SupervisorClient(vertx, s));
  }

  /**
   * Writes /work/NAME. {@code keep}: the supervisor keeps a copy and restores the file as it was
   * before every test of the job (the code, a compiled program); otherwise the file is there for the
   * next run only and gone at the wipe after it (a test's own data).
   */
  public Future<Void> put(String name, byte[] data, int mode, boolean keep) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    Buffer req = Buffer.buffer("PUT name_len=" + n.length + " data_len=" + data.length + " mode=" + mode
        + " keep=" + (keep ? 1 : 0) + "\n").appendBytes(n).appendBytes(data);
    return bounded(send(req)).compose(r -> expectVerb(r, "OK"));
  }

  public Future<Void> reset() {
    return bounded(send(Buffer.buffer("RESET\n"))).compose(r -> expectVerb(r, "OK"));
  }

  public Future<Void> ping() {
    return bounded(send(Buffer.buffer("PING\n"))).compose(r -> expectVerb(r, "PONG"));
  }

  /** Kills the test running now, if any; its run then completes with {@code aborted}. */
  public void abort() {
    if (!closed) socket.write(Buffer.buffer("ABORT\n"));
  }

  public boolean isClosed() {
    return closed;
  }

  /** Completes when the connection has closed: the supervisor, or its container, is gone. */
  public Future<Void> closed() {
    return closure.future();
  }

  /** Fails the request, and closes the connection, when the supervisor does not answer in time. */
  private <T> Future<T> bounded(Future<T> request) {
    long timer = vertx.setTimer(EXCHANGE_TIMEOUT_MS, t -> {
      failAll(new SandboxFailure("the supervisor did not answer within " + EXCHANGE_TIMEOUT_MS / 1000 + " s"));
      socket.close();
    });
    return request.onComplete(ar -> vertx.cancelTimer(timer));
  }

  public Future<RunResult> run(List<String> argv, byte[] stdin, RunLimits limits, boolean report) {
    return run(argv, stdin, limits, report, null);
  }

  /**
   * {@code collect}: a file of /work the supervisor sends back after the run (a compiler's output),
   * or null. It is taken before the sandbox is wiped for the next run.
   */
  public Future<RunResult> run(List<String> argv, byte[] stdin, RunLimits limits, boolean report, Collect collect) {
    return run(argv, stdin, limits, report, collect, null);
  }

  /**
   * {@code stdoutSink}: takes the program's stdout chunk by chunk as it arrives, instead of it being
   * gathered into the result's {@code stdout} (which is then empty): output of up to the limit is
   * never held whole (a contest run hashes it as it comes).
   */
  public Future<RunResult> run(List<String> argv, byte[] stdin, RunLimits limits, boolean report, Collect collect,
                               Handler<Buffer> stdoutSink) {
    Buffer args = Buffer.buffer();
    argv.forEach(a -> args.appendString(a).appendByte((byte) 0));
    // Every field, every time: the supervisor refuses a request that lacks one.
    String collecting = collect == null ? " collect= collect_max=0" : " collect=" + collect.name() + " collect_max=" + collect.maxBytes();
    Buffer req = Buffer.buffer("RUN argv_len=" + args.length() + " stdin_len=" + stdin.length + " " + limits.header()
        + " report=" + (report ? 1 : 0) + collecting + "\n").appendBuffer(args).appendBytes(stdin);
    return send(req, stdoutSink).compose(r -> {
      if (!r.verb.equals("RESULT")) return Future.failedFuture(new SandboxFailure("supervisor: " + r.line));
      Map<String, Long> f = r.fields;
      int out = f.get("out_len").intValue(), err = f.get("err_len").intValue(), rep = f.get("report_len").intValue();
      Buffer b = r.body;
      RunResult.Artifact artifact = collect == null ? null
          : new RunResult.Artifact(f.get("artifact_status").intValue(), b.getBuffer(out + err + rep, b.length()));
      return Future.succeededFuture(new RunResult(f.get("exit").intValue(), f.get("signal").intValue(),
          f.get("cpu_ms"), f.get("sys_ms"), f.get("wall_ms"), f.get("mem_kb"), f.get("tle") == 1, f.get("ole") == 1, f.get("oom") == 1, f.get("aborted") == 1,
          r.stdout.appendBuffer(b.getBuffer(0, out)), b.getBuffer(out, out + err), f.get("err_trunc") == 1, b.getBuffer(out + err, out + err + rep), artifact));
    });
  }

  /** Sends a request as it is and gives the reply's header line: for tests of the protocol itself. */
  Future<String> exchange(Buffer request) {
    return bounded(send(request)).map(Reply::line);
  }

  public Future<Void> close() {
    return socket.close();
  }

  private Future<Reply> send(Buffer request) {
    return send(request, null);
  }

  private Future<Reply> send(Buffer request, Handler<Buffer> stdoutSink) {
    // A dead supervisor (its container removed under us) fails the request at once, never hangs it.
    if (closed) return Future.failedFuture(new SandboxFailure("supervisor connection closed"));
    Promise<Reply> p = Promise.promise();
    pending.add(new Pending(p, stdoutSink));
    socket.write(request).onFailure(this::failAll);
    return p.future();
  }

  private void onRecord(Buffer record) {
    if (outFrame) { // a chunk of the running test's stdout, which comes before its RESULT
      outFrame = false;
      Pending running = pending.peek(); // replies come in order: the frames are the oldest request's
      if (running != null && running.stdoutSink != null) running.stdoutSink.handle(record);
      else stdout.appendBuffer(record);
      parser.delimitedMode("\n");
      return;
    }
    if (header == null) {
      String line = record.toString(StandardCharsets.UTF_8);
      if (line.startsWith("OUT len=")) {
        int len = Integer.parseInt(line.substring("OUT len=".length()));
        if (len > 0) {
          outFrame = true;
          parser.fixedSizeMode(len);
        }
        return;
      }
      Map<String, Long> fields = new HashMap<>();
      String[] parts = line.split(" ");
      for (int i = 1; i < parts.length; i++) {
        int eq = parts[i].indexOf('=');
        if (eq > 0) {
          try {
            fields.put(parts[i].substring(0, eq), Long.parseLong(parts[i].substring(eq + 1)));
          } catch (NumberFormatException ignored) {
            // free text of an ERR reply
          }
        }
      }
      long body = fields.getOrDefault("out_len", 0L) + fields.getOrDefault("err_len", 0L) + fields.getOrDefault("report_len", 0L)
          + fields.getOrDefault("artifact_len", 0L);
      if (parts[0].equals("RESULT") && body > 0) {
        header = fields;
        verb = line;
        parser.fixedSizeMode((int) body);
      } else {
        complete(new Reply(parts[0], line, fields, Buffer.buffer(), stdout));
      }
    } else {
      Reply r = new Reply("RESULT", verb, header, record, stdout);
      header = null;
      parser.delimitedMode("\n");
      complete(r);
    }
  }

  private void complete(Reply r) {
    stdout = Buffer.buffer();
    Pending p = pending.poll();
    if (p != null) p.reply.complete(r);
  }

  private void failAll(Throwable t) {
    Pending p;
    while ((p = pending.poll()) != null) p.reply.tryFail(t instanceof SandboxFailure ? t : new SandboxFailure(t.getMessage()));
  }

  private static Future<Void> expectVerb(Reply r, String verb) {
    return r.verb.equals(verb) ? Future.succeededFuture() : Future.failedFuture(new SandboxFailure("supervisor: " + r.line));
  }
}
