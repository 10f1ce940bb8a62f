package dev.runner.grader;

import dev.runner.config.RunnerConfig;
import dev.runner.config.TrustSettings.TlsSettings;
import dev.runner.contest.ContestService;
import dev.runner.contest.ContestService.Reply;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Seed 003's job receiver and result reporter: with {@code runner.grader_url} set, {@code
 * runner.max_concurrent_jobs} loops each take a job from the grader ({@code GET /job}), judge it through
 * the {@link ContestService} (compile, store the input if sent, run) and post the answer ({@code POST
 * /result}), then poll again; a node so never holds more grader jobs than it may run at once. The
 * README's "Grader polling" has the job and result JSON. Over HTTPS the client presents the API's
 * certificate ({@code RUNNER_TLS_*}) and trusts only its CA, the grader's name checked.
 *
 * <p>Every field is confined to the verticle's event loop: the contest's futures may complete
 * elsewhere, so their outcomes are brought back onto it ({@link #here}).
 */
public final class GraderPoller extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(GraderPoller.class.getName());

  /** The seed's pause after a 204. */
  static final long IDLE_POLL_MS = 100;
  /** The pause after a failed poll, doubled on each failure in a row up to the cap, reset by an answer. */
  static final long BACKOFF_MIN_MS = 100, BACKOFF_MAX_MS = 5_000;
  /** Connecting, and any silence while a request or its answer is under way. */
  static final long REQUEST_TIMEOUT_MS = 10_000;
  /** A result is retried this many times after its first post, after 0.5, 1, 2, 4, 8 s (about 30 s in all with timeouts). */
  static final int RESULT_RETRIES = 5;
  static final long RESULT_RETRY_MS = 500;
  /** How long stop() lets jobs under way end and post before they are dropped. */
  static final long STOP_GRACE_MS = 2_000;

  private final RunnerConfig config;
  private final ContestService contest;
  private WebClient client;
  private String jobUrl, resultUrl;
  private boolean stopped;
  /** Pending pauses, and what to do at once instead if the verticle stops. */
  private final Map<Long, Runnable> timers = new HashMap<>();
  /** Loops holding a job (judging it or posting its result). */
  private int busy;
  private Promise<Void> drained;

  public GraderPoller(RunnerConfig config, ContestService contest) {
    this.config = config;
    this.contest = contest;
  }

  @Override
  public Future<?> start() {
    String url = config.runner().graderUrl();
    if (url == null) return Future.succeededFuture(); // no grader: the node serves its HTTP API only
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    jobUrl = base + "/job";
    resultUrl = base + "/result";
    boolean https = "https".equalsIgnoreCase(URI.create(url).getScheme());
    TlsSettings tls = config.trust().apiTls();
    WebClientOptions options = new WebClientOptions().setUserAgent("runner").setConnectTimeout((int) REQUEST_TIMEOUT_MS)
        .setVerifyHost(true).setUseAlpn(false);
    if (https && tls != null) options.setKeyCertOptions(tls.keyCert()).setTrustOptions(tls.trust());
    if (!https && tls != null) LOG.warning("runner.grader_url is plain http: the grader is polled without TLS (the " + tls + " certificate is not used)");
    int loops = config.runner().maxConcurrentJobs();
    // One connection per loop at most: a loop has one request out at a time. A connection's own errors
    // (a grader refusing the certificate after a TLS 1.3 handshake) also fail its request, logged there once.
    client = WebClient.wrap(vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(loops))
        .withConnectHandler(c -> c.exceptionHandler(e -> LOG.fine("grader connection: " + describe(e)))).build(), options);
    LOG.info("polling " + jobUrl + " with " + loops + " loop(s)" + (https ? (tls != null ? ", mutual TLS" : ", TLS") : ""));
    for (int i = 0; i < loops; i++) poll(new Backoff());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    for (Long id : List.copyOf(timers.keySet())) {
      vertx.cancelTimer(id);
      Runnable action = timers.remove(id);
      if (action != null) action.run(); // sees stopped: a poll ends, a result waiting for a retry is dropped
    }
    Promise<Void> done = Promise.promise();
    if (busy == 0) {
      done.complete();
    } else {
      drained = done;
      vertx.setTimer(STOP_GRACE_MS, t -> {
        if (done.tryComplete()) LOG.warning(busy + " grader job(s) still under way at stop: their results are dropped");
      });
    }
    return done.future().onComplete(v -> {
      if (client != null) client.close();
    });
  }

  /** One loop's step: take a job, or wait and poll again. */
  private void poll(Backoff backoff) {
    if (stopped) return;
    client.getAbs(jobUrl).connectTimeout(REQUEST_TIMEOUT_MS).idleTimeout(REQUEST_TIMEOUT_MS).send().onComplete(ar -> {
      JsonObject job;
      try {
        job = takeJob(ar);
      } catch (RuntimeException e) { // why the poll failed; anything unforeseen too: the loop must go on
        if (stopped) return;
        backoff.failed(e instanceof IllegalArgumentException ? e.getMessage() : "GET /job: " + e);
        later(backoff.next(), () -> poll(backoff));
        return;
      }
      if (stopped) { // a job taken as the node stops: the grader gets no answer, and must time it out
        if (job != null) LOG.warning("grader job " + job.getValue("id") + " arrived at stop: dropped");
        return;
      }
      backoff.succeeded();
      if (job == null) {
        later(IDLE_POLL_MS, () -> poll(backoff));
        return;
      }
      busy++;
      // compose, not a call: even an answer() that threw ends in the loop's next poll
      Future.succeededFuture(job).compose(this::answer).compose(this::post).onComplete(v -> {
        if (--busy == 0 && drained != null) drained.tryComplete();
        poll(backoff); // right away: the seed's loop polls again after each result
      });
    });
  }

  /** The job a poll brought (a JSON object with a usable id), null for none (204); throws with why for anything else. */
  private static JsonObject takeJob(AsyncResult<HttpResponse<Buffer>> ar) {
    if (ar.failed()) throw new IllegalArgumentException("GET /job failed: " + describe(ar.cause()));
    HttpResponse<Buffer> r = ar.result();
    if (r.statusCode() == 204) return null;
    if (r.statusCode() != 200) throw new IllegalArgumentException("GET /job answered " + r.statusCode() + ": " + excerpt(r.bodyAsString()));
    JsonObject job;
    try {
      job = r.body() == null ? null : new JsonObject(r.body());
    } catch (DecodeException | ClassCastException e) {
      job = null;
    }
    if (job == null) throw new IllegalArgumentException("GET /job answered 200 with no JSON object: " + excerpt(r.bodyAsString()));
    Object id = job.getValue("id");
    if (!(id instanceof String s && !s.isBlank()) && !(id instanceof Number)) {
      // Nothing to answer it by: the grader will time it out.
      // Its fields' names only: a job's code and inputs do not belong in the log.
      throw new IllegalArgumentException("GET /job answered a job without a usable id (a non-empty string or a number); its fields: "
          + job.fieldNames());
    }
    return job;
  }

  /** The job's result: compile, store the input if it came with the job, run. Never fails. */
  private Future<JsonObject> answer(JsonObject job) {
    Object id = job.getValue("id");
    Object cases = job.getValue("cases");
    JsonObject compile = new JsonObject().put("lang", job.getValue("lang")).put("code", job.getValue("code"));
    return call(() -> contest.compile(compile)).compose(c -> {
      if (c.status() == 422) {
        return Future.succeededFuture(result(id, "CE").put("error", error(c)).put("compile_time_ms", body(c).getValue("compile_time_ms")));
      }
      if (c.status() != 200) return Future.succeededFuture(failed(id, "compile", c));
      if (!(body(c).getValue("token") instanceof String token)) {
        return Future.succeededFuture(result(id, "JE").put("error", "compile answered 200 without a token"));
      }
      Future<Reply> stored = cases == null ? Future.succeededFuture(null)
          : call(() -> contest.storeInput(new JsonObject().put("hash", job.getValue("input_hash")).put("cases", cases)));
      return stored.compose(s -> {
        if (s != null && s.status() == 409) return Future.succeededFuture(result(id, "JE").put("error", "storing the input: " + error(s)));
        if (s != null && s.status() != 200 && s.status() != 201) return Future.succeededFuture(failed(id, "storing the input", s));
        // The run's request is the job less what the other calls took: its limits (and any other field of /run/) pass through.
        JsonObject run = job.copy().put("token", token);
        for (String f : new String[] {"id", "lang", "code", "cases"}) run.remove(f);
        return call(() -> contest.run(run)).map(r -> {
          if (r.status() == 200) {
            if (!(body(r).getValue("results") instanceof JsonArray results)) return result(id, "JE").put("error", "run answered 200 without results");
            return result(id, "OK").put("token", token).put("compile_time_ms", body(c).getValue("compile_time_ms")).put("results", results);
          }
          Object missing = body(r).getValue("missing");
          if (r.status() == 404 && "input".equals(missing) && cases == null) return result(id, "missing_input").put("error", error(r));
          // Input or program gone between storing (or compiling) and running: the node's doing, not the job's.
          if (r.status() == 404 && missing != null) return result(id, "JE").put("error", "run: " + error(r));
          return failed(id, "run", r);
        });
      });
    }).recover(e -> Future.succeededFuture(result(id, "JE").put("error", "the node could not answer: " + describe(e))));
  }

  /** A reply that is neither success nor one of the expected refusals: the job's fault (4xx) or the node's. */
  private static JsonObject failed(Object id, String step, Reply r) {
    return r.status() >= 400 && r.status() < 500 ? result(id, "rejected").put("error", step + ": " + error(r))
        : result(id, "JE").put("error", step + " answered " + r.status() + ": " + error(r));
  }

  private static JsonObject result(Object id, String status) {
    return new JsonObject().put("id", id).put("status", status);
  }

  private static JsonObject body(Reply r) {
    return r.body() == null ? new JsonObject() : r.body();
  }

  private static String error(Reply r) {
    return body(r).getValue("error") instanceof String s ? s : body(r).encode();
  }

  /** A contest call on this verticle's event loop, whatever thread completes it; one that throws is a failed future. */
  private <T> Future<T> call(Supplier<Future<T>> f) {
    Future<T> started;
    try {
      started = f.get();
    } catch (RuntimeException e) {
      started = Future.failedFuture(e);
    }
    return here(started == null ? Future.failedFuture("no future") : started);
  }

  private <T> Future<T> here(Future<T> f) {
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> context.runOnContext(v -> p.handle(ar)));
    return p.future();
  }

  /** Posts a result, retrying a bounded number of times; completes (never fails) once posted or dropped. */
  private Future<Void> post(JsonObject result) {
    Promise<Void> done = Promise.promise();
    post(result, 0, done);
    return done.future();
  }

  private void post(JsonObject result, int retry, Promise<Void> done) {
    if (stopped && retry > 0) {
      LOG.warning("result of grader job " + result.getValue("id") + " dropped at stop (" + retry + " failed post(s))");
      done.complete();
      return;
    }
    client.postAbs(resultUrl).connectTimeout(REQUEST_TIMEOUT_MS).idleTimeout(REQUEST_TIMEOUT_MS).sendJsonObject(result).onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() / 100 == 2) {
        done.complete();
        return;
      }
      String why = ar.failed() ? describe(ar.cause()) : "answered " + ar.result().statusCode() + ": " + excerpt(ar.result().bodyAsString());
      if (retry >= RESULT_RETRIES) {
        LOG.warning("result of grader job " + result.getValue("id") + " dropped after " + (retry + 1) + " posts: " + why);
        done.complete();
        return;
      }
      long delay = RESULT_RETRY_MS << retry;
      LOG.info("POST /result of grader job " + result.getValue("id") + " failed (" + why + "): again in " + delay + " ms");
      later(delay, () -> post(result, retry + 1, done));
    });
  }

  private void later(long delayMs, Runnable action) {
    if (stopped) {
      action.run();
      return;
    }
    long[] id = new long[1];
    id[0] = vertx.setTimer(delayMs, t -> {
      if (timers.remove(id[0]) != null) action.run();
    });
    timers.put(id[0], action);
  }

  /** An exception's message, with its cause's (a TLS failure's reason is there). */
  private static String describe(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    Throwable c = e.getCause();
    return c == null || c.getMessage() == null || m.contains(c.getMessage()) ? m : m + ": " + c.getMessage();
  }

  private static String excerpt(String s) {
    if (s == null) return "(no body)";
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** One loop's pause after failed polls, and its log: the first failure of a run is a warning, the rest quiet. */
  private static final class Backoff {
    private long nextMs = BACKOFF_MIN_MS;
    private int failures;

    long next() {
      long d = nextMs;
      nextMs = Math.min(nextMs * 2, BACKOFF_MAX_MS);
      return d;
    }

    void failed(String why) {
      LOG.log(failures++ == 0 ? Level.WARNING : Level.FINE, why + " (polling again with growing pauses, up to " + BACKOFF_MAX_MS + " ms)");
    }

    void succeeded() {
      if (failures > 0) LOG.info("the grader answers again, after " + failures + " failed poll(s)");
      failures = 0;
      nextMs = BACKOFF_MIN_MS;
    }
  }
}
