package dev.runner.coordinator;

import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.JobStore;
import dev.runner.cluster.NodeInfo;
import dev.runner.cluster.Nodes;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.Checker;
import dev.runner.jobs.CompileOutcome;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.JobResult;
import dev.runner.jobs.TestOutcome;
import dev.runner.jobs.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Carries an interview job through the cluster, on the node that accepted it: its record (in a
 * {@link JobStore}), its tests split into chunks that run in parallel on free sandboxes of any
 * node (a compiled program is built by the first chunk and found by the others in the shared
 * cache), its progress turned into events (asynchronous jobs: stored for late subscribers and
 * published live), and its merged result, answered once. A chunk whose node dies is run again
 * elsewhere by the {@link Dispatcher}; an asynchronous job whose coordinating node dies is adopted
 * by a survivor, which runs it again from its record.
 */
public final class JobCoordinator {
  private static final Logger LOG = Logger.getLogger(JobCoordinator.class.getName());
  private final Vertx vertx;
  private final RunnerConfig config;
  private final Nodes nodes;
  private final Dispatcher dispatcher;
  private final JobStore records;
  /** The jobs coordinated here now, by id. */
  private final Map<String, Run> runs = new HashMap<>();

  public JobCoordinator(Vertx vertx, RunnerConfig config, Nodes nodes, Dispatcher dispatcher, JobStore records) {
    this.vertx = vertx;
    this.config = config;
    this.nodes = nodes;
    this.dispatcher = dispatcher;
    this.records = records;
  }

  /** Where workers send the progress of the chunks this node coordinates. */
  static String progressAddress(String nodeId) {
    return "runner.progress." + nodeId;
  }

  /** Where a job's events are published as they happen (subscribers on any node). */
  public static String eventsAddress(String jobId) {
    return "runner.jobs.events." + jobId;
  }

  public Nodes nodes() {
    return nodes;
  }

  public JobStore records() {
    return records;
  }

  public Future<Void> start() {
    nodes.onLeft(this::adoptOrphans);
    return Future.all(
        vertx.eventBus().<JsonObject>consumer(progressAddress(nodes.selfId()), m -> progress(m.body())).completion(),
        vertx.eventBus().<JsonObject>consumer(JobRequest.CANCEL_ADDRESS, m -> {
          Run run = runs.get(m.body().getString("id"));
          if (run != null) run.cancel();
        }).completion()).mapEmpty();
  }

  /** Jobs coordinated here now. */
  public int active() {
    return runs.size();
  }

  /** Whether some live node can run the job: it serves its language (and its checker's). */
  public boolean served(JobRequest job) {
    return dispatcher.served(job.language(), alsoServing(job));
  }

  /** A custom checker runs on the job's node, which must serve the checker's language too. */
  private static List<String> alsoServing(JobRequest job) {
    return job.checker() instanceof Checker.Custom c ? List.of(c.language()) : List.of();
  }

  /** Runs a job and answers with its merged result (the synchronous POST /run). */
  public Future<JobResult> run(JobRequest job) {
    return new Run(job, false, 1, new JsonArray()).start();
  }

  /** Accepts an asynchronous job: completes once its record is stored; the job runs on. */
  public Future<Void> submit(JobRequest job) {
    Run run = new Run(job, true, 1, new JsonArray());
    return run.writeRecord("queued").onSuccess(v -> {
      run.emit(new JsonObject().put("type", "accepted").put("id", job.id()).put("language", job.language())
          .put("tests", job.tests().size()));
      run.start();
    });
  }

  /** Asks every node to cancel the job (its coordinator and the workers running its chunks). */
  public void cancel(String id) {
    vertx.eventBus().publish(JobRequest.CANCEL_ADDRESS, new JsonObject().put("id", id));
  }

  /** A worker's word on a chunk: its program compiled, or a test was judged. */
  private void progress(JsonObject p) {
    String chunkId = p.getString("job", "");
    int hash = chunkId.indexOf('#');
    Run run = runs.get(hash < 0 ? chunkId : chunkId.substring(0, hash));
    if (run == null) return; // a job answered already, or an attempt given up
    int chunk = hash < 0 ? 0 : Integer.parseInt(chunkId.substring(hash + 1));
    if ("compiled".equals(p.getString("type"))) {
      run.compiled(chunk, p.getJsonObject("compile").mapTo(CompileOutcome.class));
    } else if ("test".equals(p.getString("type"))) {
      run.tested(chunk, p.getInteger("index"), p.getJsonObject("outcome").mapTo(TestOutcome.class));
    }
  }

  /**
   * A node left: the asynchronous jobs it coordinated and did not finish are run again here if
   * this node is the first survivor (by id), from their records, as the next attempt.
   */
  private void adoptOrphans(NodeInfo dead) {
    String first = nodes.nodes().stream().map(NodeInfo::id).filter(id -> !id.equals(dead.id()))
        .min(String::compareTo).orElse(nodes.selfId());
    if (!first.equals(nodes.selfId())) return;
    records.orphansOf(dead.id()).onSuccess(orphans -> orphans.forEach(record -> {
      JobRequest job = JobRequest.fromJson(record.getJsonObject("request"));
      int attempt = record.getInteger("attempt", 1) + 1;
      LOG.info("adopting job " + job.id() + " of node " + dead.id() + " (attempt " + attempt + ")");
      records.events(job.id()).onSuccess(events -> {
        Run run = new Run(job, true, attempt, events);
        if (attempt > Dispatcher.MAX_ATTEMPTS) {
          run.failed(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, Dispatcher.JUDGE_ERROR,
              "the job's coordinating node left the cluster " + (attempt - 1) + " times"));
          return;
        }
        run.emit(new JsonObject().put("type", "restarted").put("attempt", attempt)
            .put("reason", "node " + dead.id() + " left the cluster; the job runs again, its earlier test events are void"));
        run.start();
      });
    })).onFailure(err -> LOG.warning("could not read the jobs of node " + dead.id() + ": " + err.getMessage()));
  }

  /** One job coordinated here. */
  private final class Run {
    final JobRequest job;
    final boolean async;
    final int attempt;
    final long created = System.currentTimeMillis();
    final JsonArray events;
    final BitSet reported = new BitSet();
    final List<Chunk> chunks = new ArrayList<>();
    final Promise<JobResult> done = Promise.promise();
    Future<Void> eventWrites = Future.succeededFuture();
    boolean cancelled;

    Run(JobRequest job, boolean async, int attempt, JsonArray events) {
      this.job = job;
      this.async = async;
      this.attempt = attempt;
      this.events = events;
    }

    Future<JobResult> start() {
      runs.put(job.id(), this);
      writeRecord("running");
      split();
      // A compiled language's first chunk builds the program; the others start when it is in the cache.
      boolean waitForProgram = config.allLanguages().get(job.language()).compiled() && chunks.size() > 1;
      chunks.get(0).dispatch();
      if (!waitForProgram) chunks.subList(1, chunks.size()).forEach(Chunk::dispatch);
      Future.all(chunks.stream().map(c -> c.result.future()).toList()).onComplete(ar -> {
        if (ar.succeeded()) finished(merged());
        else failed(ar.cause());
      });
      return done.future();
    }

    /**
     * Chunks of at least cluster.chunk_tests tests, as many as there are free sandboxes for the
     * language in the cluster now; one chunk (the job itself) when it is small or nothing is free.
     */
    void split() {
      int n = job.tests().size();
      int free = nodes.nodes().stream().filter(node -> !node.draining()).mapToInt(node -> node.freeFor(job.language())).sum();
      int count = Math.max(1, Math.min(n / config.cluster().chunkTests(), free));
      if (count == 1) {
        chunks.add(new Chunk(0, 0, job));
        return;
      }
      for (int c = 0, from = 0; c < count; c++) {
        int to = from + (n - from) / (count - c);
        chunks.add(new Chunk(c, from, new JobRequest(job.id() + "#" + c, job.language(), job.code(), job.entrypoint(),
            job.tests().subList(from, to), job.timeoutMs(), job.memoryMb(), job.checker())));
        from = to;
      }
    }

    JobResult merged() {
      List<TestOutcome> tests = new ArrayList<>(job.tests().size());
      chunks.forEach(c -> tests.addAll(c.result.future().result().tests()));
      JobResult first = chunks.get(0).result.future().result();
      return new JobResult(tests, first.compile(), first.checkerCompile());
    }

    void compiled(int chunk, CompileOutcome outcome) {
      if (chunk != 0) return;
      emit(new JsonObject().put("type", outcome.ok() ? "compiled" : "compile_error").put("compile", RunResponse.compile(outcome)));
      chunks.subList(1, chunks.size()).forEach(Chunk::dispatch);
    }

    void tested(int chunk, int index, TestOutcome outcome) {
      int at = chunks.get(chunk).offset + index;
      if (!async || at >= job.tests().size() || reported.get(at)) return;
      reported.set(at);
      emit(new JsonObject().put("type", "test").put("index", at).put("test", RunResponse.test(job.tests().get(at), outcome)));
    }

    /**
     * The workers heard the same cancellation and answer their chunks (cancelled) once their
     * sandboxes are back; a chunk not sent yet ends here.
     */
    void cancel() {
      cancelled = true;
      chunks.stream().filter(c -> !c.dispatched)
          .forEach(c -> c.result.tryFail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, WorkerVerticle.CANCELLED, "cancelled")));
    }

    void finished(JobResult result) {
      runs.remove(job.id());
      JsonObject response = RunResponse.of(job, result);
      writeRecord("done", r -> r.put("status", 200).put("result", response));
      emit(new JsonObject().put("type", "done").put("state", "done").put("summary", response.getJsonObject("summary"))
          .put("execution", response.getJsonObject("execution")));
      done.tryComplete(result);
    }

    void failed(Throwable err) {
      runs.remove(job.id());
      boolean wasCancelled = cancelled
          || err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == WorkerVerticle.CANCELLED;
      String state = wasCancelled ? "cancelled" : "failed";
      chunks.stream().filter(c -> c.dispatched && !c.result.future().isComplete()) // the others' sandboxes are freed
          .forEach(c -> JobCoordinator.this.cancel(c.job.id()));
      writeRecord(state, r -> r.put("error", String.valueOf(err.getMessage())));
      emit(new JsonObject().put("type", "done").put("state", state).put("error", String.valueOf(err.getMessage())));
      done.tryFail(err);
    }

    Future<Void> writeRecord(String state) {
      return writeRecord(state, r -> r);
    }

    Future<Void> writeRecord(String state, java.util.function.UnaryOperator<JsonObject> with) {
      JsonObject record = new JsonObject().put("id", job.id()).put("async", async).put("state", state)
          .put("coordinator", nodes.selfId()).put("attempt", attempt).put("language", job.language())
          .put("tests", job.tests().size()).put("chunks", chunks.size()).put("created_ms", created)
          .put("updated_ms", System.currentTimeMillis());
      // Kept until the job ends, so a survivor can run it again; a synchronous job's client is on this node.
      if (async && !state.equals("done") && !state.equals("failed") && !state.equals("cancelled")) {
        record.put("request", job.toJson());
      }
      return records.put(job.id(), with.apply(record))
          .onFailure(err -> LOG.warning("could not store the record of job " + job.id() + ": " + err.getMessage()));
    }

    /** An event, numbered: stored (all of them, for late subscribers) and published, for asynchronous jobs. */
    void emit(JsonObject event) {
      if (!async) return;
      event.put("seq", events.size() + 1);
      events.add(event);
      JsonArray snapshot = events.copy();
      eventWrites = eventWrites.eventually(() -> records.putEvents(job.id(), snapshot))
          .onSuccess(v -> vertx.eventBus().publish(eventsAddress(job.id()), event));
    }

    /** A part of the job's tests, dispatched on its own. */
    final class Chunk {
      final int index;
      final int offset;
      final JobRequest job;
      final Promise<JobResult> result = Promise.promise();
      boolean dispatched;

      Chunk(int index, int offset, JobRequest job) {
        this.index = index;
        this.offset = offset;
        this.job = job;
      }

      void dispatch() {
        if (dispatched || result.future().isComplete()) return;
        dispatched = true;
        long timeout = WorkerVerticle.replyTimeoutMs(config, job.deadlineMs(config.allLanguages()));
        dispatcher.send(Dispatcher.Kind.RUN, job.language(), alsoServing(job), job.toJson(), timeout,
                new DeliveryOptions().addHeader(WorkerVerticle.PROGRESS, progressAddress(nodes.selfId())))
            .map(JobResult::fromJson)
            .recover(err -> err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
                && re.failureCode() == WorkerVerticle.JUDGE_ERROR
                ? Future.succeededFuture(JobResult.judgeErrors(job, re.getMessage())) : Future.failedFuture(err))
            .onComplete(result::tryComplete, result::tryFail);
      }
    }
  }
}
