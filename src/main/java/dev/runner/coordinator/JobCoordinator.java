package dev.runner.coordinator;

import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.JobStore;
import dev.runner.cluster.NodeInfo;
import dev.runner.cluster.Nodes;
import dev.runner.config.RunnerConfig;
import dev.runner.contest.ContestService;
import dev.runner.jobs.Checker;
import dev.runner.jobs.CompileOutcome;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.JobResult;
import dev.runner.jobs.OutputBudget;
import dev.runner.jobs.TestOutcome;
import dev.runner.jobs.WorkerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * Carries jobs through the cluster, on the node that accepted them: each job's record (in a
 * {@link JobStore}), its progress turned into events (asynchronous jobs: stored for late
 * subscribers and published live), and its result, answered once. An interview job's tests are
 * split into chunks that run in parallel on free sandboxes of any node (a compiled program is
 * built by the first chunk and found by the others in the shared cache); a contest job (a run, or
 * a compile and run) goes through the {@link ContestService}. A chunk whose node dies is run again
 * elsewhere by the {@link Dispatcher}; an asynchronous job whose coordinating node dies is adopted
 * by a survivor, which runs it again from its record. Used on one event loop (the HTTP verticle's).
 */
public final class JobCoordinator {
  private static final Logger LOG = Logger.getLogger(JobCoordinator.class.getName());
  private final Vertx vertx;
  private final RunnerConfig config;
  private final Nodes nodes;
  private final Dispatcher dispatcher;
  private final JobStore records;
  private final ContestService contest;
  /** The jobs coordinated here now, by id. */
  private final Map<String, Coordinated> runs = new HashMap<>();

  public JobCoordinator(Vertx vertx, RunnerConfig config, Nodes nodes, Dispatcher dispatcher, JobStore records,
                        ContestService contest) {
    this.vertx = vertx;
    this.config = config;
    this.nodes = nodes;
    this.dispatcher = dispatcher;
    this.records = records;
    this.contest = contest;
  }

  /** Where workers send the progress of the jobs this node coordinates. */
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
          Coordinated run = runs.get(m.body().getString("id"));
          if (run != null) run.cancel();
        }).completion()).mapEmpty();
  }

  /** Jobs coordinated here now. */
  public int active() {
    return runs.size();
  }

  /** Null when some live node can run the job (it serves its language, and its checker's); else why not. */
  public Dispatcher.Unserved unserved(JobRequest job) {
    List<String> also = alsoServing(job);
    return dispatcher.served(job.language(), also) ? null : new Dispatcher.Unserved(job.language(), also);
  }

  /** A custom checker runs on the job's node, which must serve the checker's language too. */
  private static List<String> alsoServing(JobRequest job) {
    return job.checker() instanceof Checker.Custom c ? List.of(c.language()) : List.of();
  }

  /** Runs a job and answers with its merged result (the synchronous POST /run). */
  public Future<JobResult> run(JobRequest job) {
    InterviewRun run = new InterviewRun(job, false, 1, 0);
    run.start();
    return run.result.future();
  }

  /**
   * Accepts an asynchronous interview job: completes once its record is stored; the job runs on,
   * and {@code ended} runs when it has ended (or at once, when it could not be recorded).
   */
  public Future<Void> submit(JobRequest job, Runnable ended) {
    return accepted(new InterviewRun(job, true, 1, 0),
        new JsonObject().put("language", job.language()).put("tests", job.tests().size()), ended);
  }

  /**
   * Accepts an asynchronous contest job (a run, or "lang" and "code" to compile first, checked by
   * {@link ContestService#invalidJob}); returns its id once its record is stored; {@code ended} as
   * for {@link #submit}.
   */
  public Future<String> submitContest(JsonObject request, Runnable ended) {
    ContestRun run = new ContestRun(UUID.randomUUID().toString(), request, 1, 0);
    return accepted(run, new JsonObject().put("kind", "contest"), ended).map(run.id);
  }

  private Future<Void> accepted(Coordinated run, JsonObject about, Runnable ended) {
    run.ended.future().onComplete(v -> ended.run());
    return run.writeRecord("queued").onComplete(ar -> {
      if (ar.failed()) {
        run.ended.tryComplete();
        return;
      }
      run.emit(about.put("type", "accepted").put("id", run.id));
      run.start();
    });
  }

  /** Asks every node to cancel the job (its coordinator and the workers running its parts). */
  public void cancel(String id) {
    vertx.eventBus().publish(JobRequest.CANCEL_ADDRESS, new JsonObject().put("id", id));
  }

  /** A worker's word on a job or a part of one ("<id>#a<attempt>#<chunk>"); a stale attempt's part is no part of it. */
  private void progress(JsonObject p) {
    String part = p.getString("job", "");
    int hash = part.indexOf('#');
    Coordinated run = runs.get(hash < 0 ? part : part.substring(0, hash));
    if (run != null) run.progress(part, p);
  }

  /**
   * A node left: the asynchronous jobs it coordinated and did not finish are run again here if
   * this node is the first survivor (by id), from their records, as the next attempt.
   */
  private void adoptOrphans(NodeInfo dead) {
    records.orphansOf(dead.id()).onSuccess(orphans -> orphans.forEach(orphan -> {
      String id = orphan.getString("id");
      // Every survivor may try; the claim, made where the record lives, lets one run it.
      records.claim(id, dead.id(), nodes.selfId()).compose(record -> record == null ? Future.succeededFuture()
          : records.events(id, 1).map(events -> {
        int attempt = record.getInteger("attempt");
        LOG.info("adopting job " + id + " of node " + dead.id() + " (attempt " + attempt + ")");
        JsonObject request = record.getJsonObject("request");
        Coordinated run = "contest".equals(record.getString("kind")) ? new ContestRun(id, request, attempt, events.size())
            : new InterviewRun(JobRequest.fromJson(request), true, attempt, events.size());
        if (attempt > Dispatcher.MAX_ATTEMPTS) {
          run.failed(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, Dispatcher.JUDGE_ERROR,
              "the job's coordinating node left the cluster " + (attempt - 1) + " times"));
          return null;
        }
        run.emit(new JsonObject().put("type", "restarted").put("attempt", attempt)
            .put("reason", "node " + dead.id() + " left the cluster; the job runs again, its earlier test events are void"));
        run.start();
        return null;
      })).onFailure(err -> LOG.warning("could not adopt job " + id + " of node " + dead.id() + ": " + err.getMessage()));
    })).onFailure(err -> LOG.warning("could not read the jobs of node " + dead.id() + ": " + err.getMessage()));
  }

  /** One job coordinated here: its record, its events, its end. */
  private abstract class Coordinated {
    final String id;
    final boolean async;
    final int attempt;
    final long created = System.currentTimeMillis();
    /** Completes when the job has ended, whichever way. */
    final Promise<Void> ended = Promise.promise();
    /** The tests (or cases) already told as events: each is told once, even when an attempt runs it again. */
    final BitSet reported = new BitSet();
    Future<Void> eventWrites = Future.succeededFuture();
    /** Events told so far (an adopted job's from before, too): the next one's seq is one more. */
    int seq;
    boolean cancelled;

    Coordinated(String id, boolean async, int attempt, int seq) {
      this.id = id;
      this.async = async;
      this.attempt = attempt;
      this.seq = seq;
    }

    abstract void start();

    abstract String kind();

    /** What survives this node for an adopter: the request, checked already. */
    abstract JsonObject request();

    /** {@code part}: the id of the job (or chunk) the worker ran. */
    abstract void progress(String part, JsonObject p);

    void cancel() {
      cancelled = true;
    }

    /**
     * Its answer: the record says done, with the HTTP status (and, for an asynchronous job, the body)
     * the synchronous call gives; the done event follows the record, so a subscriber told "done"
     * reads the result.
     */
    void finished(int status, JsonObject result, JsonObject doneEvent) {
      end("done", r -> async ? r.put("status", status).put("result", result) : r.put("status", status),
          doneEvent.put("status", status));
    }

    void failed(Throwable err) {
      String state = cancelled || Dispatcher.failedWith(err, WorkerVerticle.CANCELLED) ? "cancelled" : "failed";
      String why = String.valueOf(err.getMessage());
      end(state, r -> r.put("error", why), new JsonObject().put("error", why));
    }

    private void end(String state, UnaryOperator<JsonObject> with, JsonObject doneEvent) {
      runs.remove(id);
      writeRecord(state, with).onComplete(v -> {
        emit(doneEvent.put("type", "done").put("state", state));
        ended.tryComplete();
      });
    }

    Future<Void> writeRecord(String state) {
      return writeRecord(state, r -> r);
    }

    Future<Void> writeRecord(String state, UnaryOperator<JsonObject> with) {
      JsonObject record = new JsonObject().put("id", id).put("kind", kind()).put("async", async).put("state", state)
          .put("coordinator", nodes.selfId()).put("attempt", attempt).put("created_ms", created)
          .put("updated_ms", System.currentTimeMillis());
      // Kept until the job ends, so a survivor can run it again; a synchronous job's client is on this node.
      if (async && (state.equals("queued") || state.equals("running"))) record.put("request", request());
      return records.put(id, with.apply(describe(record)))
          .onSuccess(stored -> {
            // A later attempt owns the job (adopted while this node was presumed dead): this run's word is void.
            if (!stored) LOG.warning("job " + id + " was adopted by another node; attempt " + attempt + " here is discarded");
          })
          .onFailure(err -> LOG.warning("could not store the record of job " + id + ": " + err.getMessage()))
          .mapEmpty();
    }

    JsonObject describe(JsonObject record) {
      return record;
    }

    /**
     * An event, numbered: stored (one entry each, for late subscribers), then published, in order,
     * for asynchronous jobs.
     */
    void emit(JsonObject event) {
      if (!async) return;
      int n = ++seq;
      event.put("seq", n);
      eventWrites = eventWrites.transform(previous -> records.putEvent(id, attempt, n, event))
          .onSuccess(stored -> {
            if (stored) vertx.eventBus().publish(eventsAddress(id), event);
          }).mapEmpty();
    }

    /** Test {@code index}'s event, unless told already. */
    void reportOnce(int index, JsonObject event) {
      if (!async || reported.get(index)) return;
      reported.set(index);
      emit(event.put("index", index));
    }
  }

  /** An interview job, in chunks. */
  private final class InterviewRun extends Coordinated {
    final JobRequest job;
    final List<Chunk> chunks = new ArrayList<>();
    final Promise<JobResult> result = Promise.promise();
    /** What the job's test events may carry of its output together, in the order they come. */
    final OutputBudget eventOutput = OutputBudget.perJob();
    boolean compiledTold;

    InterviewRun(JobRequest job, boolean async, int attempt, int seq) {
      super(job.id(), async, attempt, seq);
      this.job = job;
    }

    @Override
    String kind() {
      return "run";
    }

    @Override
    JsonObject request() {
      return job.toJson();
    }

    @Override
    JsonObject describe(JsonObject record) {
      return record.put("language", job.language()).put("tests", job.tests().size()).put("chunks", chunks.size());
    }

    @Override
    void start() {
      runs.put(id, this);
      split();
      writeRecord("running");
      // A compiled language's first chunk builds the program; the others start when it is in the cache
      // (its compiled progress), or when it ended without saying so (a judge error: they try for themselves).
      boolean waitForProgram = config.allLanguages().get(job.language()).compiled() && chunks.size() > 1;
      chunks.get(0).dispatch();
      if (waitForProgram) chunks.get(0).result.future().onComplete(ar -> others(ar.succeeded() ? ar.result().compile() : null));
      else others(null);
      Future.all(chunks.stream().map(c -> c.result.future()).toList()).onComplete(ar -> {
        if (ar.succeeded()) {
          JobResult merged = merged();
          JsonObject response = async ? RunResponse.of(job, merged) : null;
          finished(200, response, response == null ? new JsonObject() : new JsonObject()
              .put("summary", response.getJsonObject("summary")).put("execution", response.getJsonObject("execution")));
          result.tryComplete(merged);
        } else {
          failed(ar.cause());
          // The other chunks' sandboxes are freed.
          chunks.stream().filter(c -> c.dispatched && !c.result.future().isComplete())
              .forEach(c -> JobCoordinator.this.cancel(c.job.id()));
          result.tryFail(ar.cause());
        }
      });
    }

    /**
     * Chunks of at least cluster.chunk_tests tests, as many as there are free sandboxes for the
     * language in the cluster now; one chunk (the job itself) when it is small or nothing is free.
     */
    void split() {
      int n = job.tests().size();
      int free = nodes.nodes().stream().filter(node -> !node.draining()).mapToInt(node -> node.freeFor(job.language())).sum();
      int count = Math.max(1, Math.min(n / config.cluster().chunkTests(), free));
      if (count == 1 && attempt == 1) {
        chunks.add(new Chunk(0, job));
        return;
      }
      // A later attempt's parts are told apart from a stale one's by their ids, even as one chunk.
      for (int c = 0, from = 0; c < count; c++) {
        int to = from + (n - from) / (count - c);
        chunks.add(new Chunk(from, new JobRequest(partId(c), job.language(), job.code(), job.entrypoint(),
            job.tests().subList(from, to), job.timeoutMs(), job.memoryMb(), job.checker())));
        from = to;
      }
    }

    /** A chunk's id: the job's, its attempt's (a stale attempt's progress and cancellation are told apart), its place. */
    String partId(int chunk) {
      return job.id() + "#a" + attempt + "#" + chunk;
    }

    /**
     * The chunks after the first: sent, unless the first says the program did not compile; then
     * their tests get the same compile error here, without compiling it again.
     */
    void others(CompileOutcome compiled) {
      List<Chunk> rest = chunks.subList(1, chunks.size());
      if (compiled == null || compiled.ok()) {
        rest.forEach(Chunk::dispatch);
        return;
      }
      rest.forEach(c -> c.result.tryComplete(JobResult.compileErrors(c.job, compiled)));
    }

    JobResult merged() {
      return JobResult.merged(chunks.stream().map(c -> c.result.future().result()).toList());
    }

    @Override
    void progress(String part, JsonObject p) {
      Chunk chunk = chunks.stream().filter(c -> c.job.id().equals(part)).findFirst().orElse(null);
      if (chunk == null) return;
      if ("compiled".equals(p.getString("type")) && chunk.offset == 0) {
        CompileOutcome outcome = p.getJsonObject("compile").mapTo(CompileOutcome.class);
        if (!compiledTold) {
          compiledTold = true;
          emit(new JsonObject().put("type", outcome.ok() ? "compiled" : "compile_error").put("compile", RunResponse.compile(outcome)));
        }
        if (outcome.ok()) others(outcome);
      } else if ("test".equals(p.getString("type"))) {
        int at = chunk.offset + p.getInteger("index");
        if (at >= job.tests().size() || !async || reported.get(at)) return;
        // Each chunk's worker spent a job's output budget on its own: the events together spend one.
        TestOutcome outcome = p.getJsonObject("outcome").mapTo(TestOutcome.class).within(eventOutput);
        // The client sent the test's input and expected output: an event carries what the run gave.
        JsonObject test = RunResponse.test(job.tests().get(at), outcome);
        test.remove("input");
        test.remove("expected_output");
        reportOnce(at, new JsonObject().put("type", "test").put("test", test));
      }
    }

    /**
     * The workers heard the same cancellation and answer their chunks (cancelled) once their
     * sandboxes are back; a chunk not sent yet ends here.
     */
    @Override
    void cancel() {
      super.cancel();
      chunks.stream().filter(c -> !c.dispatched)
          .forEach(c -> c.result.tryFail(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, WorkerVerticle.CANCELLED, "cancelled")));
    }

    /** A part of the job's tests, dispatched on its own. */
    final class Chunk {
      final int offset;
      final JobRequest job;
      final Promise<JobResult> result = Promise.promise();
      boolean dispatched;

      Chunk(int offset, JobRequest job) {
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
            // The runner failed under it (twice on one node, or its node died at each attempt): every test JE.
            .recover(err -> Dispatcher.failedWith(err, WorkerVerticle.JUDGE_ERROR)
                ? Future.succeededFuture(JobResult.judgeErrors(job, err.getMessage())) : Future.failedFuture(err))
            .onComplete(result::tryComplete, result::tryFail);
      }
    }
  }

  /** A contest job: the contest API's run (or compile and run), followed case by case. */
  private final class ContestRun extends Coordinated {
    final JsonObject request;

    ContestRun(String id, JsonObject request, int attempt, int seq) {
      super(id, true, attempt, seq);
      this.request = request;
    }

    @Override
    String kind() {
      return "contest";
    }

    @Override
    JsonObject request() {
      return request;
    }

    @Override
    void start() {
      runs.put(id, this);
      writeRecord("running");
      ContestService.Tracking tracking = new ContestService.Tracking(id, progressAddress(nodes.selfId()),
          compiled -> emit(new JsonObject().put("type", "compiled").put("compile", compiled)), () -> cancelled);
      contest.job(request, tracking).onComplete(ar -> {
        if (ar.failed()) {
          failed(ar.cause());
          return;
        }
        ContestService.Reply reply = ar.result();
        if (cancelled && (reply.status() == 503 || reply.status() == WorkerVerticle.CANCELLED)) {
          failed(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, WorkerVerticle.CANCELLED, "cancelled"));
          return;
        }
        JsonObject done = new JsonObject();
        if (reply.status() == 422) {
          emit(new JsonObject().put("type", "compile_error").put("compile", reply.body()));
        } else if (reply.body().getValue("results") instanceof JsonArray results) {
          JsonObject counts = new JsonObject();
          for (int i = 0; i < results.size(); i++) {
            String status = results.getJsonObject(i).getString("status");
            counts.put(status, counts.getInteger(status, 0) + 1);
          }
          done.put("summary", counts.put("total", results.size()));
        }
        finished(reply.status(), reply.body(), done);
      });
    }

    @Override
    void progress(String part, JsonObject p) {
      if ("case".equals(p.getString("type"))) {
        reportOnce(p.getInteger("index"), new JsonObject().put("type", "test").put("case", p.getJsonObject("result")));
      }
    }
  }
}
