package dev.runner.jobs;

import dev.runner.config.RunnerConfig;
import dev.runner.lang.Language;
import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.NoSandboxException;
import dev.runner.sandbox.Sandbox;
import dev.runner.sandbox.SandboxPool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Takes jobs from the event bus (one address per language it has an image for), runs each on a
 * leased sandbox and replies with the per-test outcomes. A job whose sandbox broke under it (not
 * a verdict: Podman or the supervisor failed) is retried once on a fresh sandbox; otherwise the
 * reply is a failure with 503, so the caller never waits forever.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(WorkerVerticle.class.getName());
  public static final int UNAVAILABLE = 503;
  private final RunnerConfig config;
  private final Map<String, SandboxPool> pools = new HashMap<>();
  private PodmanClient podman;

  public WorkerVerticle(RunnerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    podman = new PodmanClient(vertx, config.podmanSocket());
    var net = vertx.createNetClient();
    return Sandbox.removeLeftovers(vertx, podman, config.stateDir(), config.sandboxLabel())
        .recover(err -> {
          LOG.warning("could not remove leftover sandboxes (is Podman up?): " + err.getMessage());
          return Future.succeededFuture();
        })
        .compose(v -> {
          List<Future<Void>> consumers = new ArrayList<>();
          config.images().forEach((name, image) -> {
            Language lang = Language.ALL.get(name);
            if (lang == null) return;
            SandboxPool pool = new SandboxPool(vertx, podman, net, image, config.stateDir(), config.sandboxLabel(),
                config.pool(), JobRequest.sandboxMemoryBytes(JobRequest.DEFAULT_MEMORY_MB, 0));
            pools.put(name, pool);
            pool.start();
            consumers.add(vertx.eventBus().<JsonObject>consumer(JobRequest.address(name), m -> handle(m, lang, pool))
                .completion());
          });
          return Future.all(consumers);
        });
  }

  private void handle(Message<JsonObject> message, Language lang, SandboxPool pool) {
    JobRequest job;
    try {
      job = JobRequest.fromJson(message.body());
    } catch (RuntimeException e) {
      message.fail(400, "malformed job: " + e.getMessage());
      return;
    }
    runOn(pool, lang, job, 1).onComplete(ar -> {
      if (ar.succeeded()) {
        JsonArray tests = new JsonArray();
        ar.result().forEach(t -> tests.add(t.toJson()));
        message.reply(new JsonObject().put("tests", tests));
      } else {
        message.fail(UNAVAILABLE, ar.cause().getMessage());
      }
    });
  }

  private Future<List<TestOutcome>> runOn(SandboxPool pool, Language lang, JobRequest job, int retries) {
    // The reset happens after the reply, off the job's latency; the sandbox is lent again only after it.
    return pool.acquire(job.sandboxMemoryBytes()).compose(lease -> {
          // A supervisor that stops answering must not hold the job, nor the sandbox, forever.
          Promise<List<TestOutcome>> done = Promise.promise();
          long timer = vertx.setTimer(job.deadlineMs(), t -> done.tryFail(new IllegalStateException("the sandbox stopped answering")));
          JobRunner.run(lease.sandbox().supervisor(), lang, job).onComplete(done::tryComplete, done::tryFail);
          return done.future().onComplete(ar -> {
            vertx.cancelTimer(timer);
            lease.release(ar.succeeded());
          });
        })
        .recover(err -> {
          if (err instanceof NoSandboxException || retries == 0) return Future.failedFuture(err);
          LOG.warning("a sandbox failed under a " + lang.name() + " job, retrying on a fresh one: " + err.getMessage());
          return runOn(pool, lang, job, retries - 1);
        });
  }

  @Override
  public Future<?> stop() {
    return Future.join(pools.values().stream().map(SandboxPool::close).toList())
        .onComplete(v -> podman.close());
  }
}
