package dev.runner.jobs;

import dev.runner.cache.CacheMissException;
import dev.runner.cache.ContentCache;
import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.Drain;
import dev.runner.cluster.NodeInfo;
import dev.runner.cluster.NodeRegistry;
import dev.runner.config.RunnerConfig;
import dev.runner.lang.Language;
import dev.runner.metrics.RunnerMetrics;
import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.JobCancelledException;
import dev.runner.sandbox.NoSandboxException;
import dev.runner.sandbox.SandboxFailure;
import dev.runner.sandbox.Sandbox;
import dev.runner.sandbox.SandboxPool;
import dev.runner.sandbox.SandboxTemplate;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Takes jobs from the event bus (its node's own addresses, one per kind of job and language it has
 * an image for), runs each on a leased sandbox and replies with the per-test outcomes. It takes a
 * job only if it can start it now, unless the dispatcher asks it to queue it (no node could), and
 * none while draining. A job whose sandbox broke under it (not a verdict: Podman or the supervisor
 * failed) is retried once on a fresh sandbox, then fails with {@link #JUDGE_ERROR} (every test JE);
 * no sandbox in time is {@link #UNAVAILABLE}, so the caller never waits forever. A cancellation drops
 * a waiting job from the line and aborts a running one; its sandbox goes back, reset. It publishes
 * the node's entry in the {@link NodeRegistry} as its sandboxes change, and removes the sandboxes of
 * a dead node that shared its Podman ({@link DeadNodeSandboxes}). Every job it ends, and its pools'
 * sizes, go into the node's {@link RunnerMetrics}.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(WorkerVerticle.class.getName());
  public static final int UNAVAILABLE = 503;
  private final RunnerConfig config;
  public static final int CANCELLED = 499;
  /** The sandbox broke under the job twice (not a verdict, not a busy node): the contest API's JE. */
  public static final int JUDGE_ERROR = Dispatcher.JUDGE_ERROR;
  /** A contest run's token or input set is on no live node: the message names which. */
  public static final int MISSING = 404;
  /** How often the pools' sizes are copied into the metrics (and at every job's end). */
  static final long POOL_SAMPLE_MS = 1_000;
  /**
   * How long a sender waits for a worker's reply to a job that may hold a sandbox for {@code
   * deadlineMs}: a node-wide slot, then a sandbox (each at most the acquire timeout), then the job,
   * twice if it is retried on a fresh sandbox; the worker itself cuts each attempt at its deadline.
   */
  public static long replyTimeoutMs(RunnerConfig config, long deadlineMs) {
    long acquire = config.pool().acquireTimeout().toMillis();
    return acquire + 2 * (acquire + deadlineMs) + 5_000;
  }

  /** This node's worker answers here, locally, how it stands (GET /health). */
  public static final String HEALTH_ADDRESS = "runner.worker.health";
  /**
   * Asked here, locally, the worker drains: it takes no new job (dispatchers see it draining and
   * pass it by), and replies once its jobs have ended, or after the {@code timeout_ms} asked.
   */
  public static final String DRAIN_ADDRESS = "runner.worker.drain";
  /** How soon a change of this node's free sandboxes reaches the registry (changes within are sent as one). */
  static final long PUBLISH_DELAY_MS = 5;
  private long jobsCompleted;
  /** By image: the jobs' sandboxes, and (started at a first custom checker) the checker programs'. */
  private final Map<String, SandboxPool> pools = new HashMap<>();
  private final Map<String, SandboxPool> checkerPools = new HashMap<>();
  private final Map<String, Promise<Void>> running = new HashMap<>();
  /** Recent cancellations, by the id they name, with when they came, oldest first. */
  private final Map<String, Long> cancelledAt = new LinkedHashMap<>();
  /** Contest runs admitted and still fetching what they run, by pool (see {@link #fetching(SandboxPool)}). */
  private final Map<SandboxPool, Integer> fetching = new HashMap<>();
  private final RunnerMetrics metrics;
  private final ContentCache cache;
  private final Programs programs;
  private final NodeRegistry registry;
  private final Map<String, String> versions;
  private boolean draining;
  private boolean publishPending;
  private JobSlots slots;
  private PodmanClient podman;
  private NetClient net;
  private long sampler = -1;
  /** This node's Podman, as the registry names it: nodes that share one remove each other's leftovers. */
  private final String podmanHost;

  /**
   * {@code metrics}: the node's, where jobs, verdicts and the pools' sizes are recorded; {@code cache}:
   * the cluster's, where contest runs find their inputs; {@code programs}: the compiled programs in it.
   */
  public WorkerVerticle(RunnerConfig config, RunnerMetrics metrics, ContentCache cache, Programs programs,
                        NodeRegistry registry, Map<String, String> versions) {
    this.config = config;
    this.registry = registry;
    this.versions = Map.copyOf(versions);
    this.metrics = metrics;
    this.cache = cache;
    this.programs = programs;
    this.podmanHost = DeadNodeSandboxes.podmanHost(config.podmanSocket());
  }

  @Override
  public Future<?> start() {
    podman = new PodmanClient(vertx, config.podmanSocket());
    net = vertx.createNetClient();
    slots = new JobSlots(vertx, config.runner().maxConcurrentJobs(), config.pool().acquireTimeout().toMillis());
    return Sandbox.removeLeftovers(vertx, podman, config.stateDir(), config.sandboxLabel())
        .recover(err -> {
          LOG.warning("could not remove leftover sandboxes (is Podman up?): " + err.getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> {
          List<Future<Void>> consumers = new ArrayList<>();
          // One pool per image: the languages an image serves (C and the C++ standards) share its sandboxes.
          config.images().forEach((name, image) -> {
            Language lang = config.languages().get(name);
            SandboxPool pool = pools.computeIfAbsent(image, this::newPool);
            String self = registry.selfId();
            consumers.add(vertx.eventBus().<JsonObject>consumer(Dispatcher.address(self, Dispatcher.Kind.RUN, name), m -> {
              if (admitted(m, pool)) handle(m, lang, pool);
            }).completion());
            consumers.add(vertx.eventBus().<JsonObject>consumer(Dispatcher.address(self, Dispatcher.Kind.COMPILE, name), m -> {
              if (admitted(m, pool)) compile(m, lang, pool);
            }).completion());
            consumers.add(vertx.eventBus().<JsonObject>consumer(Dispatcher.address(self, Dispatcher.Kind.CONTEST, name), m -> {
              if (admitted(m, pool)) contestRun(m, lang, pool);
            }).completion());
          });
          DeadNodeSandboxes deadNodes = new DeadNodeSandboxes(vertx, podman, registry, podmanHost);
          registry.onLeft(deadNodes::remove);
          consumers.add(vertx.eventBus().<JsonObject>consumer(JobRequest.CANCEL_ADDRESS, m -> cancel(m.body().getString("id")))
              .completion());
          consumers.add(vertx.eventBus().<JsonObject>localConsumer(HEALTH_ADDRESS, m -> m.reply(health())).completion());
          consumers.add(vertx.eventBus().<JsonObject>localConsumer(DRAIN_ADDRESS, m -> drain(m.body().getLong("timeout_ms"))
              .onComplete(d -> m.reply(new JsonObject().put("running", running.size())))).completion());
          sampler = vertx.setPeriodic(POOL_SAMPLE_MS, t -> {
            samplePools();
            publish();
          });
          return Future.all(consumers).compose(all -> publish());
        });
  }

  /**
   * Whether this worker takes the job: not while draining; and, unless the dispatcher asks it to
   * queue the job (no node could start it now), only if it can start it at once. A refusal is
   * immediate, so the dispatcher offers the job to the next node.
   */
  private boolean admitted(Message<JsonObject> message, SandboxPool pool) {
    if (cancelled(message.body().getString("id"))) {
      message.fail(CANCELLED, "cancelled");
      return false;
    }
    if (draining) {
      message.fail(Dispatcher.DRAINING, "the node is draining");
      return false;
    }
    if (!"yes".equals(message.headers().get(Dispatcher.QUEUE)) && freeNow(pool) == 0) {
      message.fail(Dispatcher.BUSY, "no free sandbox");
      schedulePublish(); // the dispatcher's picture was stale
      return false;
    }
    schedulePublish();
    return true;
  }

  /**
   * Jobs of the pool's image that could start now: an idle sandbox no one waits for or has spoken
   * for, and a free slot.
   */
  private int freeNow(SandboxPool pool) {
    int spoken = fetching.values().stream().mapToInt(Integer::intValue).sum();
    return Math.max(0, Math.min(slots.free() - spoken, pool.idleCount() - pool.waitingCount() - fetching.getOrDefault(pool, 0)));
  }

  /**
   * A contest run admitted here fetches its program and inputs before it takes a sandbox: until
   * {@code fetched} runs, a sandbox of {@code pool} (and a slot) counts as its, so no other job is
   * admitted on it meanwhile.
   */
  private Runnable fetching(SandboxPool pool) {
    fetching.merge(pool, 1, Integer::sum);
    boolean[] done = {false};
    return () -> {
      if (done[0]) return;
      done[0] = true;
      fetching.merge(pool, -1, Integer::sum);
      schedulePublish();
    };
  }

  /** Publishes this node's entry soon, once for all the changes until then. */
  private void schedulePublish() {
    if (publishPending) return;
    publishPending = true;
    vertx.setTimer(PUBLISH_DELAY_MS, t -> {
      publishPending = false;
      publish();
    });
  }

  private Future<Void> publish() {
    Map<String, Integer> capacity = new HashMap<>(), free = new HashMap<>(), busy = new HashMap<>();
    config.images().forEach((lang, image) -> {
      SandboxPool p = pools.get(image);
      capacity.put(lang, Math.min(config.runner().maxConcurrentJobs(), config.pool().size()));
      free.put(lang, p == null ? 0 : freeNow(p));
      busy.put(lang, p == null ? 0 : p.leasedCount());
    });
    Map<String, String> langs = new HashMap<>();
    config.images().keySet().forEach(lang -> langs.put(lang, versions.getOrDefault(lang, "")));
    NodeInfo info = new NodeInfo(registry.selfId(), config.clusterHost() + ":" + config.httpPort(), langs, capacity, free, busy,
        running.size(), slots.waitingCount() + waiting(), jobsCompleted, draining, config.sandboxLabel(),
        config.stateDir().toString(), podmanHost, System.currentTimeMillis());
    return registry.publish(info).onFailure(err -> LOG.warning("could not publish this node's state: " + err.getMessage()));
  }

  private int waiting() {
    return pools.values().stream().mapToInt(SandboxPool::waitingCount).sum();
  }

  /** Takes no more jobs (and says so to the cluster); completes when the running ones have ended, or after {@code timeoutMs}. */
  private Future<Void> drain(long timeoutMs) {
    draining = true;
    return publish().transform(v -> Drain.until(vertx, running::isEmpty, timeoutMs));
  }

  /**
   * Every worker hears every cancellation; the one holding the job acts. The cancellation may come
   * before the job does (from another node than its sender's, or before a re-sent chunk arrives):
   * it is kept a while, and a job it names is refused on arrival.
   */
  private void cancel(String id) {
    if (id == null) return;
    cancelledAt.remove(id); // put last again: the map stays in the order of the times
    cancelledAt.put(id, System.currentTimeMillis());
    running.forEach((running, job) -> {
      if (names(id, running)) job.tryComplete();
    });
  }

  /** A job run in chunks runs here as "<id>#a<attempt>#<chunk>": the job's cancellation (or its attempt's) ends them all. */
  private static boolean names(String cancelled, String job) {
    return job.equals(cancelled) || job.startsWith(cancelled + "#");
  }

  /** How long a cancellation is kept for a job that has not arrived yet. */
  static final long CANCELLATION_KEPT_MS = 60_000;

  /** Whether a cancellation names the job: its own id, or the id of a job (or attempt) it is a part of. */
  private boolean cancelled(String jobId) {
    long now = System.currentTimeMillis();
    for (Iterator<Long> at = cancelledAt.values().iterator(); at.hasNext() && now - at.next() > CANCELLATION_KEPT_MS; ) at.remove();
    if (jobId == null) return false;
    for (int hash = jobId.indexOf('#'); hash >= 0; hash = jobId.indexOf('#', hash + 1)) {
      if (cancelledAt.containsKey(jobId.substring(0, hash))) return true;
    }
    return cancelledAt.containsKey(jobId);
  }

  /**
   * The job a message carries, or null when it is none this node's HTTP verticle would send: the
   * message then fails with 400 (its client gets a 503).
   */
  private <T> T decoded(Message<JsonObject> message, Class<T> type, Language lang) {
    try {
      return message.body().mapTo(type);
    } catch (RuntimeException e) {
      message.fail(400, "malformed job: " + e.getMessage());
      metrics.jobFinished(lang.name(), RunnerMetrics.Outcome.UNAVAILABLE, Duration.ZERO);
      return null;
    }
  }

  /** A job is running: its future completes when it is cancelled (its client went away). */
  private Future<Void> started(String id) {
    Promise<Void> cancelled = Promise.promise();
    running.put(id, cancelled);
    return cancelled.future();
  }

  private void handle(Message<JsonObject> message, Language lang, SandboxPool pool) {
    long arrived = System.nanoTime();
    JobRequest job = decoded(message, JobRequest.class, lang);
    if (job == null) return;
    Future<Void> cancelled = started(job.id());
    Progress progress = progress(message);
    onLease(pool, lang, job.sandboxMemoryBytes(), job.deadlineMs(config.allLanguages()), cancelled,
        lease -> judged(lease, lang, job, cancelled, progress)).onComplete(ar -> {
      // Counted before the reply: a client that scrapes /metrics after its answer sees its job.
      record(lang, ar, Duration.ofNanos(System.nanoTime() - arrived));
      finished(job.id(), message, ar.map(JobResult::toJson));
    });
  }

  /**
   * Where a job's progress goes: to the address its sender named in the {@link #PROGRESS} header
   * (with the job's id, chunk and attempt, so the sender can tell a stale attempt's), else nowhere.
   */
  private Progress progress(Message<JsonObject> message) {
    String address = message.headers().get(PROGRESS);
    if (address == null) return Progress.NONE;
    JsonObject about = new JsonObject().put("job", message.body().getString("id"))
        .put("attempt", message.headers().get(Dispatcher.ATTEMPT));
    return new Progress() {
      @Override
      public void compiled(CompileOutcome outcome) {
        vertx.eventBus().send(address, about.copy().put("type", "compiled").put("compile", JsonObject.mapFrom(outcome)));
      }

      @Override
      public void tested(int index, TestOutcome outcome) {
        vertx.eventBus().send(address, about.copy().put("type", "test").put("index", index).put("outcome", JsonObject.mapFrom(outcome)));
      }

      @Override
      public void caseJudged(int index, ContestJobs.CaseResult result) {
        vertx.eventBus().send(address, about.copy().put("type", "case").put("index", index).put("result", JsonObject.mapFrom(result)));
      }
    };
  }

  /** Header: the address a job's progress is sent to (one message per compile and per test). */
  public static final String PROGRESS = "progress";

  /** A job's end: its reply (or failure: 499 cancelled, else 503), and it is no longer running. */
  private void finished(String id, Message<JsonObject> message, AsyncResult<JsonObject> ar) {
    running.remove(id);
    jobsCompleted++;
    schedulePublish();
    if (ar.succeeded()) {
      message.reply(ar.result());
    } else {
      Throwable cause = ar.cause();
      int code = cause instanceof JobCancelledException ? CANCELLED : cause instanceof CacheMissException ? MISSING
          : cause instanceof SandboxFailure ? JUDGE_ERROR : UNAVAILABLE;
      message.fail(code, cause.getMessage());
    }
  }

  /** A contest compile: the program (or the syntax-checked source) is stored in the cache under its token. */
  private void compile(Message<JsonObject> message, Language lang, SandboxPool pool) {
    long arrived = System.nanoTime();
    ContestJobs.Compile job = decoded(message, ContestJobs.Compile.class, lang);
    if (job == null) return;
    Future<Void> cancelled = started(job.id());
    onLease(pool, lang, Limits.sandboxMemoryBytes(Limits.DEFAULT_MEMORY_MB, 0), job.deadlineMs(lang), cancelled, lease -> ContestRunner.compile(lease, lang, job, programs, cancelled)).onComplete(ar -> {
      RunnerMetrics.Outcome outcome = ar.failed() ? outcome(ar.cause())
          : ar.result().ok() ? RunnerMetrics.Outcome.OK : RunnerMetrics.Outcome.COMPILE_ERROR;
      metrics.jobFinished(lang.name(), outcome, Duration.ofNanos(System.nanoTime() - arrived));
      finished(job.id(), message, ar.map(JsonObject::mapFrom));
    });
  }

  /**
   * A contest run: the token's program and the input set are made local first (fetched from the
   * node that has them, if need be), before a sandbox is taken; a key no node holds fails with 404.
   */
  private void contestRun(Message<JsonObject> message, Language lang, SandboxPool pool) {
    long arrived = System.nanoTime();
    ContestJobs.Run job = decoded(message, ContestJobs.Run.class, lang);
    if (job == null) return;
    Future<Void> cancelled = started(job.id());
    Runnable fetched = fetching(pool);
    List<ContentCache.Pinned> pins = new ArrayList<>();
    Future<ContestJobs.Results> ran = missing(programs.program(job.token()), "token")
        .compose(program -> missing(cache.open(ContentCache.Kind.INPUT, job.inputHash()), "input").compose(inputs -> {
          pins.add(inputs);
          fetched.run(); // the lease is taken now, in this same step when a sandbox is idle
          long largest = Arrays.stream(ContestRunner.sizes(inputs.entry())).max().orElse(0);
          return onLease(pool, lang, ContestRunner.sandboxMemoryBytes(job, program.bytes().length(), largest), job.deadlineMs(),
              cancelled, lease -> ContestRunner.run(vertx, lease, lang, job, program, inputs, cancelled, progress(message)));
        }));
    ran.onComplete(ar -> {
      fetched.run();
      pins.forEach(ContentCache.Pinned::release);
      RunnerMetrics.Outcome outcome;
      if (ar.failed()) {
        outcome = outcome(ar.cause());
      } else {
        List<ContestJobs.CaseResult> results = ar.result().results();
        results.forEach(r -> metrics.verdict(lang.name(), Verdict.valueOf(r.status())));
        outcome = results.stream().allMatch(r -> r.status().equals("OK")) ? RunnerMetrics.Outcome.OK : RunnerMetrics.Outcome.FAILED;
      }
      metrics.jobFinished(lang.name(), outcome, Duration.ofNanos(System.nanoTime() - arrived));
      samplePools();
      finished(job.id(), message, ar.map(JsonObject::mapFrom));
    });
  }

  /** A cache miss, named: the API's 404 says which of a run's keys no node holds. */
  private static <T> Future<T> missing(Future<T> found, String what) {
    return found.recover(err -> Future.failedFuture(err instanceof CacheMissException ? new CacheMissException(what) : err));
  }

  private static RunnerMetrics.Outcome outcome(Throwable failure) {
    return failure instanceof JobCancelledException ? RunnerMetrics.Outcome.CANCELLED : RunnerMetrics.Outcome.UNAVAILABLE;
  }

  /** A finished job in the node's metrics: its outcome, its time here, its tests' verdicts. */
  private void record(Language lang, AsyncResult<JobResult> ar, Duration took) {
    RunnerMetrics.Outcome outcome;
    if (ar.failed()) {
      outcome = outcome(ar.cause());
    } else {
      List<TestOutcome> tests = ar.result().tests();
      tests.forEach(t -> metrics.verdict(lang.name(), t.verdict()));
      // A compile error (or a parse error, which the harness reports) is every test's CE.
      outcome = tests.stream().anyMatch(t -> t.verdict() == Verdict.CE) ? RunnerMetrics.Outcome.COMPILE_ERROR
          : tests.stream().allMatch(t -> t.verdict() == Verdict.OK) ? RunnerMetrics.Outcome.OK : RunnerMetrics.Outcome.FAILED;
    }
    metrics.jobFinished(lang.name(), outcome, took);
    samplePools();
  }

  /**
   * How this worker stands: jobs answered and running, and per image its sandboxes. It can run jobs
   * unless every image's pool has no sandbox and its launches fail (no Podman, no image).
   */
  private JsonObject health() {
    JsonObject images = new JsonObject();
    boolean canRun = false;
    for (var e : pools.entrySet()) {
      SandboxPool p = e.getValue();
      boolean runs = p.idleCount() + p.leasedCount() > 0 || !p.launchesFailing();
      canRun |= runs;
      images.put(e.getKey(), new JsonObject().put("idle", p.idleCount()).put("busy", p.leasedCount())
          .put("waiting", p.waitingCount()).put("launches_failing", p.launchesFailing()));
    }
    return new JsonObject().put("can_run_jobs", canRun).put("jobs_completed", jobsCompleted)
        .put("current_jobs", running.size()).put("jobs_queued", slots.waitingCount()).put("sandboxes", images);
  }

  /** The pools' sizes into the metrics, by image (its jobs' and checkers' pools together). */
  private void samplePools() {
    Map<String, int[]> byImage = new HashMap<>();
    for (Map<String, SandboxPool> kind : List.of(pools, checkerPools)) {
      kind.forEach((image, p) -> {
        int[] n = byImage.computeIfAbsent(image, i -> new int[3]);
        n[0] += p.idleCount();
        n[1] += p.leasedCount();
        n[2] += p.waitingCount();
      });
    }
    byImage.forEach((image, n) -> metrics.sandboxes(image, n[0], n[1], n[2]));
  }

  /**
   * Runs {@code work} on a sandbox of {@code pool} with {@code memoryBytes}, within a node-wide job
   * slot: cut at {@code deadlineMs} (a supervisor that stops answering must not hold the job, nor the
   * sandbox, forever), retried once on a fresh sandbox when the sandbox broke under it. The reset
   * happens after the reply, off the job's latency; the sandbox is lent again only after it.
   */
  private <T> Future<T> onLease(SandboxPool pool, Language lang, long memoryBytes, long deadlineMs, Future<Void> cancelled,
                                Function<SandboxPool.Lease, Future<T>> work) {
    return slots.take(cancelled).compose(slot -> leased(pool, lang, memoryBytes, deadlineMs, cancelled, work, 1)
        .onComplete(ar -> slot.run()));
  }

  private <T> Future<T> leased(SandboxPool pool, Language lang, long memoryBytes, long deadlineMs, Future<Void> cancelled,
                               Function<SandboxPool.Lease, Future<T>> work, int retries) {
    return pool.acquire(memoryBytes, cancelled).compose(lease -> {
          Promise<T> done = Promise.promise();
          long timer = vertx.setTimer(deadlineMs, t -> done.tryFail(new SandboxFailure("the sandbox stopped answering")));
          work.apply(lease).onComplete(done::tryComplete, done::tryFail);
          return done.future().onComplete(ar -> {
            vertx.cancelTimer(timer);
            // An aborted job leaves a sound sandbox: reset and lent again, not replaced.
            lease.release(sound(ar));
          });
        })
        .recover(err -> {
          if (err instanceof NoSandboxException || err instanceof JobCancelledException || err instanceof CacheMissException
              || retries == 0) {
            return Future.failedFuture(err);
          }
          LOG.warning("a sandbox failed under a " + lang.name() + " job, retrying on a fresh one: " + err.getMessage());
          return leased(pool, lang, memoryBytes, deadlineMs, cancelled, work, retries - 1);
        });
  }

  private static boolean sound(AsyncResult<?> ar) {
    return ar.succeeded() || ar.cause() instanceof JobCancelledException;
  }

  /**
   * The job on its lease, judged by its checker: a comparison here, or a checker program on a lease
   * of its own from the checker pool of its image. Those pools are apart from the jobs' pools, so a
   * job holding a sandbox never waits for one that another job holding a checker's waits for.
   */
  private Future<JobResult> judged(SandboxPool.Lease lease, Language lang, JobRequest job, Future<Void> cancelled,
                                   Progress progress) {
    if (!(job.checker() instanceof Checker.Custom custom)) {
      return JobRunner.run(lease, lang, job, OutputCheck.of((Checker.Comparison) job.checker()), programs, cancelled, progress);
    }
    String image = config.images().get(custom.language());
    if (image == null) {
      return Future.failedFuture(new NoSandboxException("this node has no image for the checker's language " + custom.language()));
    }
    Language checkerLang = config.languages().get(custom.language());
    return checkerPools.computeIfAbsent(image, this::newPool).acquire(CheckerProgram.leaseBytes(job), cancelled)
        .compose(checkerLease -> {
          CheckerProgram checker = new CheckerProgram(checkerLease, checkerLang, job, cancelled);
          return checker.prepare(cancelled)
              .compose(compiled -> !compiled.ok() ? Future.succeededFuture(JobRunner.checkerFailed(job, compiled))
                  : JobRunner.run(lease, lang, job, checker, programs, cancelled, progress).map(r -> r.withCheckerCompile(compiled)))
              .onComplete(ar -> {
                checker.finish();
                checkerLease.release(sound(ar));
              });
        });
  }

  private SandboxPool newPool(String image) {
    SandboxPool p = new SandboxPool(vertx, podman, net,
        new SandboxTemplate(image, config.stateDir(), config.sandboxLabel(), config.seccompProfile()),
        config.pool(), Limits.sandboxMemoryBytes(Limits.DEFAULT_MEMORY_MB, 0));
    p.start();
    return p;
  }

  @Override
  public Future<?> stop() {
    if (sampler >= 0) vertx.cancelTimer(sampler);
    registry.remove(registry.selfId()); // leaving: no dispatcher sends here any more
    return Future.join(Stream.concat(pools.values().stream(), checkerPools.values().stream()).map(SandboxPool::close).toList())
        .onComplete(v -> podman.close());
  }
}
