package dev.runner.http;

import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.Drain;
import dev.runner.cluster.NodeInfo;
import dev.runner.config.RunnerConfig;
import dev.runner.contest.ContestApi;
import dev.runner.contest.ContestService;
import dev.runner.coordinator.JobCoordinator;
import dev.runner.coordinator.RunResponse;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.Limits;
import dev.runner.jobs.WorkerVerticle;
import dev.runner.metrics.RunnerMetrics;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public API. It reads and validates a request, hands the job to the {@link JobCoordinator}
 * (which sends it, in chunks if large, to nodes with free sandboxes) and turns the result into the
 * seed's response; POST /jobs answers at once and the job runs on ({@link JobsApi}). It never
 * touches a container.
 *
 * <p>What a client can hold is bounded: connections ({@link ConnectionGuard}: a cap, and a timeout on
 * sending headers), body bytes ({@link BodyReader}, {@link BodyBudget}: counted as they arrive, with
 * timeouts) and jobs (RUNNER_MAX_PENDING, taken once a body is complete and valid). A job's slot and
 * bytes are held until it ends (a synchronous one's answer, an asynchronous one's last event), even
 * when its client went away: the work goes on until the workers hear the cancellation, and it must
 * keep counting until then.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(HttpVerticle.class.getName());
  /** The most a POST /input/ body may have: an input set of the largest size, escaped as JSON. */
  private static final long INPUT_BODY_BYTES = ContestApi.MAX_INPUT_SET_BYTES + (32 << 20);
  /** The largest WebSocket frame read: it is held whole before it is counted against the body budget. */
  private static final int STREAM_FRAME_BYTES = 1 << 20;
  private final RunnerConfig config;
  private final RunRequestParser parser;
  private final BodyBudget budget;
  private final RunnerMetrics metrics;
  private final ContestService contest;
  private final JobCoordinator coordinator;
  private JobsApi jobs;
  private ConnectionGuard connections;
  private int pendingJobs;
  /** Set by a drain: new jobs get 503, so a load balancer sends them to another node. */
  private boolean draining;
  private final long startedAt = System.currentTimeMillis();

  /**
   * {@code metrics}: the node's, served at GET /metrics; {@code coordinator}: where interview jobs
   * go, and the cluster's nodes and job records.
   */
  public HttpVerticle(RunnerConfig config, RunnerMetrics metrics, ContestService contest, JobCoordinator coordinator) {
    this.config = config;
    this.contest = contest;
    this.coordinator = coordinator;
    this.metrics = metrics;
    // Any language some node may serve: an API-only node accepts jobs it sends to others.
    this.parser = new RunRequestParser(config.allLanguages(), config.http().maxJobSeconds());
    this.budget = new BodyBudget(config.http().bodyBudgetBytes());
  }

  /** The languages the cluster's live nodes serve, by id, with a toolchain version each (any node's). */
  private Map<String, String> servedLanguages() {
    Map<String, String> served = new TreeMap<>();
    for (NodeInfo n : coordinator.nodes().nodes()) {
      if (n.draining()) continue;
      n.languages().forEach((lang, version) -> served.merge(lang, version, (a, b) -> a.isEmpty() ? b : a));
    }
    return served;
  }

  /** Every node of the cluster as it describes itself (GET /nodes). */
  private void nodes(RoutingContext ctx) {
    JsonArray list = new JsonArray();
    coordinator.nodes().nodes().stream().sorted(java.util.Comparator.comparing(NodeInfo::id))
        .forEach(n -> list.add(n.toJson().put("self", n.id().equals(coordinator.nodes().selfId()))));
    json(ctx, 200, new JsonObject().put("nodes", list).put("count", list.size()));
  }

  /**
   * The seed's health document: healthy (200) while this node's worker can run jobs, else unhealthy
   * (503), with the node's own figures and its worker's sandboxes.
   */
  private void health(RoutingContext ctx) {
    JsonObject h = new JsonObject().put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000)
        .put("languages", new JsonArray(List.copyOf(servedLanguages().keySet()))).put("nodes", coordinator.nodes().nodes().size())
        .put("node", coordinator.nodes().selfId()).put("pending_jobs", pendingJobs)
        .put("open_connections", connections.openConnections()).put("body_bytes_held", budget.held());
    vertx.eventBus().<JsonObject>request(WorkerVerticle.HEALTH_ADDRESS, null, new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000))
        .onSuccess(reply -> {
          JsonObject w = reply.body();
          // An API-only node runs nothing itself: it is healthy while it answers.
          boolean ok = (w.getBoolean("can_run_jobs") || config.cluster().apiOnly()) && !draining;
          json(ctx, ok ? 200 : 503, h.put("status", draining ? "draining" : ok ? "healthy" : "unhealthy").put("jobs_completed", w.getLong("jobs_completed"))
              .put("current_jobs", w.getInteger("current_jobs")).put("jobs_queued", w.getInteger("jobs_queued"))
              .put("sandboxes", w.getJsonObject("sandboxes")));
        })
        .onFailure(err -> json(ctx, 503, h.put("status", "unhealthy").put("error", "no worker answered: " + err.getMessage())));
  }

  /** Starts the coordinator here, so its jobs, its progress and its routes share this verticle's event loop. */
  @Override
  public Future<?> start() {
    jobs = new JobsApi(vertx, coordinator);
    return coordinator.start().compose(v -> listen());
  }

  private Future<?> listen() {
    connections = new ConnectionGuard(vertx, config.http().maxConnections(), config.http().headerTimeout().toMillis());
    Router router = Router.router(vertx);
    router.route().handler(connections::requestArrived);
    if (config.trust().apiTokensRequired()) router.route().handler(new BearerTokens(config.trust()));
    // Each path also answers with a trailing slash (the seed's /run/, /compile/, /input/).
    router.post("/run").handler(ctx -> read(ctx, Limits.MAX_BODY_BYTES, body -> run(ctx, body)));
    router.get("/run").handler(this::stream);
    router.post("/jobs").handler(ctx -> read(ctx, Limits.MAX_BODY_BYTES, body -> submit(ctx, body)));
    router.get("/jobs/:id").handler(jobs::describe);
    router.delete("/jobs/:id").handler(jobs::cancel);
    router.get("/jobs/:id/events").handler(jobs::events);
    router.get("/nodes").handler(this::nodes);
    router.post("/compile").handler(ctx -> read(ctx, Limits.MAX_BODY_BYTES, body -> contestCall(ctx, body, contest::compile)));
    router.post("/input").handler(ctx -> read(ctx, INPUT_BODY_BYTES, body -> contestCall(ctx, body, contest::storeInput)));
    router.get("/input/:hash").handler(ctx -> contest.describeInput(ctx.pathParam("hash"))
        .onComplete(ar -> reply(ctx, ar)));
    router.get("/languages").handler(ctx -> json(ctx, 200, new JsonObject().put("languages", new JsonArray(
        servedLanguages().entrySet().stream().map(e -> config.allLanguages().get(e.getKey())
            .describe(e.getValue().isEmpty() ? null : e.getValue())).toList()))));
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.registry())); // in memory: no blocking
    router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(405, ctx -> error(ctx, 405, "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(413, ctx -> error(ctx, 413, "the request body is larger than " + (Limits.MAX_BODY_BYTES >> 20) + " MB"));
    router.errorHandler(400, ctx -> error(ctx, 400, ctx.request().version() == HttpVersion.HTTP_1_1
        && ctx.request().headers().get(HttpHeaders.HOST) == null ? "an HTTP/1.1 request needs a Host header" : "bad request"));
    router.errorHandler(500, ctx -> {
      LOG.log(Level.SEVERE, "unexpected failure on " + ctx.request().path(), ctx.failure());
      error(ctx, 500, "internal error");
    });
    // HTTP/1 only: the guards are per connection; h2c would multiplex requests past them.
    // With mutual TLS configured: HTTPS only, a client certificate of the API's CA required at the handshake.
    // WebSocket frames: a /run?stream job's body may come unfragmented up to 1 MiB (larger, in frames of
    // that); no compression, whose inflated frames no limit would bound.
    HttpServerOptions options = config.trust().secure(new HttpServerOptions().setHttp2ClearTextEnabled(false)
            .setMaxWebSocketFrameSize(STREAM_FRAME_BYTES).setPerFrameWebSocketCompressionSupported(false)
            .setPerMessageWebSocketCompressionSupported(false),
        config.http().headerTimeout().toMillis());
    return vertx.createHttpServer(options)
        .connectionHandler(connections::opened)
        .invalidRequestHandler(HttpVerticle::invalid)
        .requestHandler(router)
        .listen(config.httpPort(), config.httpHost())
        .compose(server -> vertx.eventBus().<JsonObject>localConsumer(DRAIN_ADDRESS, m -> drain(m.body().getLong("timeout_ms"))
            .onComplete(ar -> m.reply(null))).completion());
  }

  /** Takes no new job; completes once the jobs it holds or coordinates have ended, or after {@code timeoutMs}. */
  private Future<Void> drain(long timeoutMs) {
    draining = true;
    return Drain.until(vertx, () -> pendingJobs == 0 && coordinator.active() == 0, timeoutMs);
  }

  /**
   * Told here (locally, {"timeout_ms"}) the node drains: new jobs get 503 and GET /health says
   * "draining"; the reply comes once its jobs have ended.
   */
  public static final String DRAIN_ADDRESS = "runner.http.drain";

  /** Reads a body of at most {@code maxBytes}, then hands it on; a bad one is answered here. */
  private void read(RoutingContext ctx, long maxBytes, Consumer<BodyReader.Body> then) {
    BodyReader reader = new BodyReader(vertx, ctx.request(), config.http(), budget, maxBytes);
    ctx.addEndHandler(ar -> reader.abandon());
    reader.read().onComplete(body -> {
      if (body.succeeded()) {
        then.accept(body.result());
      } else if (!(body.cause() instanceof BadRequest e)) {
        ctx.fail(body.cause());
      } else {
        // The rest of the body is not read: this connection cannot carry another request.
        ctx.response().putHeader("connection", "close");
        if (e.status == 503) ctx.response().putHeader("retry-after", "1");
        Future<Void> sent = error(ctx, e.status, e.getMessage());
        if (e.status == 408) sent.onComplete(v -> ctx.request().connection().close());
      }
    });
  }

  /**
   * A contest API call: the body must be a JSON object; it counts as a pending job (and its bytes
   * stay held) until the answer, as an interview job does.
   */
  private void contestCall(RoutingContext ctx, BodyReader.Body body, Function<JsonObject, Future<ContestService.Reply>> call) {
    try {
      contestCall(ctx, body, RunRequestParser.object(body.bytes()), call);
    } catch (BadRequest e) {
      refuse(ctx, e, body.held());
    }
  }

  /** As above, the body read already; a refusal's BadRequest is thrown. */
  private void contestCall(RoutingContext ctx, BodyReader.Body body, JsonObject request,
                           Function<JsonObject, Future<ContestService.Reply>> call) {
    take();
    called(() -> call.apply(request)).onComplete(ar -> {
      released(body.held());
      reply(ctx, ar);
    });
  }

  private static void reply(RoutingContext ctx, AsyncResult<ContestService.Reply> ar) {
    if (ar.succeeded()) json(ctx, ar.result().status(), ar.result().body());
    else ctx.fail(ar.cause());
  }

  /**
   * Takes a pending job's place: RUNNER_MAX_PENDING bounds the jobs a node holds at once, counted
   * from a complete and valid body until the job ends. Beyond it, or while draining, a BadRequest
   * 503 (answered with Retry-After).
   */
  private void take() {
    if (draining) throw new BadRequest(503, "the node is draining (shutting down); send the job to another node");
    if (pendingJobs >= config.maxPendingJobs()) {
      throw new BadRequest(503, "the node is busy: " + pendingJobs + " jobs are in progress; retry later");
    }
    pendingJobs++;
  }

  /** {@code work}'s future; what it throws, as a failed one (a job that has taken its place gives it back when its future ends). */
  private static <T> Future<T> called(Supplier<Future<T>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** A refused request's answer; its bytes are given back. A failure other than a BadRequest is a bug: 500. */
  private void refuse(RoutingContext ctx, Throwable err, long held) {
    budget.release(held);
    if (!(err instanceof BadRequest e)) {
      ctx.fail(err);
      return;
    }
    if (e.status == 503) ctx.response().putHeader("retry-after", "1");
    error(ctx, e.status, e.getMessage());
  }

  /** The job in an interview body, checked: valid, and in a language some live node serves. */
  private JobRequest interviewJob(JsonObject request, Buffer bytes) {
    JobRequest job = parser.parse(request, bytes);
    Dispatcher.Unserved unserved = coordinator.unserved(job);
    if (unserved != null) throw new BadRequest(400, unserved.getMessage());
    return job;
  }

  /**
   * POST /run: an interview job (or the contest API's run of a token: the seed's two APIs share the
   * path), answered when done; POST /run?stream: any job POST /jobs takes, its events streamed in
   * the response as they happen.
   */
  private void run(RoutingContext ctx, BodyReader.Body body) {
    if (ctx.request().params().contains("stream")) {
      startJob(body).onSuccess(id -> jobs.stream(ctx, id)).onFailure(err -> refuse(ctx, err, 0));
      return;
    }
    long held = body.held();
    JobRequest job;
    try {
      JsonObject request = RunRequestParser.object(body.bytes());
      if (RunRequestParser.contestRun(request)) {
        contestCall(ctx, body, request, contest::run);
        return;
      }
      job = interviewJob(request, body.bytes());
      take();
    } catch (RuntimeException e) { // a BadRequest's answer, or a bug's 500 rather than a hang
      refuse(ctx, e, held);
      return;
    }
    boolean[] replied = {false};
    ctx.addEndHandler(ar -> {
      // Ends once: failed when the connection closed before the response was sent.
      if (ar.failed() && !replied[0]) coordinator.cancel(job.id());
    });
    called(() -> coordinator.run(job))
        .onComplete(reply -> {
          replied[0] = true;
          released(held);
        })
        .onSuccess(result -> json(ctx, 200, RunResponse.of(job, result)))
        .onFailure(err -> {
          if (err instanceof Dispatcher.Unserved) {
            error(ctx, 400, err.getMessage());
            return;
          }
          String why = err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT
              ? "the job did not finish in time" : err.getMessage();
          error(ctx, 503, "the job could not be run: " + why);
        });
  }

  /**
   * /run?stream: POST /run over a WebSocket, for one-shot use. The client's first message is a job
   * (the body of POST /jobs); its events follow as on /jobs/{id}/events, the done event carrying the
   * result; closing the socket earlier cancels the job.
   */
  private void stream(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE)) || !ctx.request().params().contains("stream")) {
      ctx.response().putHeader(HttpHeaders.ALLOW, "POST");
      error(ctx, 405, "method GET is not allowed on /run but as /run?stream, a WebSocket (send Upgrade: websocket, then the job "
          + "as the first message); POST /run answers a job when it is done");
      return;
    }
    ctx.request().toWebSocket().onSuccess(ws -> WebSocketBody.read(vertx, ws, config.http(), budget, Limits.MAX_BODY_BYTES)
        .compose(this::startJob)
        .onSuccess(id -> jobs.stream(ws, id, true))
        .onFailure(err -> JobsApi.refuse(ws, err)))
        .onFailure(err -> error(ctx, 400, "the WebSocket upgrade failed: " + err.getMessage()));
  }

  /** POST /jobs: 202 with the job's id once its record is stored; the job runs on. */
  private void submit(RoutingContext ctx, BodyReader.Body body) {
    startJob(body).onSuccess(id -> accepted(ctx, id)).onFailure(err -> refuse(ctx, err, 0));
  }

  /**
   * Starts an asynchronous job (POST /jobs, /run?stream) from its body, an interview job or a
   * contest one (checked here, so a wrong one gets its 4xx now): its id once its record is stored.
   * It holds its place (and its bytes) until it ends, as a synchronous job does until its answer.
   * Else it fails with the BadRequest to answer, its bytes given back.
   */
  private Future<String> startJob(BodyReader.Body body) {
    long held = body.held();
    Supplier<Future<String>> submit;
    try {
      JsonObject request = RunRequestParser.object(body.bytes());
      if (RunRequestParser.contestJob(request)) {
        ContestService.Reply invalid = contest.invalidJob(request);
        if (invalid != null) throw new BadRequest(invalid.status(), invalid.body().getString("error"));
        submit = () -> coordinator.submitContest(request, () -> released(held));
      } else {
        JobRequest job = interviewJob(request, body.bytes());
        submit = () -> coordinator.submit(job, () -> released(held)).map(job.id());
      }
      take();
    } catch (RuntimeException e) {
      budget.release(held);
      return Future.failedFuture(e);
    }
    Future<String> recorded;
    try {
      recorded = submit.get();
    } catch (RuntimeException e) { // its end will never be told: its place and bytes are given back here
      released(held);
      return Future.failedFuture(e);
    }
    // Its place and bytes were given back when it could not be recorded.
    return recorded.recover(err -> Future.failedFuture(new BadRequest(503, "the job could not be recorded: " + err.getMessage())));
  }

  /** A job this node held has ended: its place and its bytes are free. */
  private void released(long held) {
    pendingJobs--;
    budget.release(held);
  }

  private static void accepted(RoutingContext ctx, String id) {
    ctx.response().putHeader(HttpHeaders.LOCATION, "/jobs/" + id);
    json(ctx, 202, new JsonObject().put("id", id).put("state", "queued").put("events", "/jobs/" + id + "/events"));
  }

  /**
   * A request Netty could not decode (a request line or headers too long, a bad Content-Length):
   * answered in JSON like every other error, then the connection is closed (it is out of step).
   */
  private static void invalid(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String message = switch (status) {
      case 414 -> "the request line is longer than " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes";
      case 431 -> "the request headers are larger than " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes";
      default -> "the request is not valid HTTP/1.1" + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
    };
    request.response().setStatusCode(status).putHeader("connection", "close")
        .putHeader("content-type", "application/json; charset=utf-8")
        .end(new JsonObject().put("error", message).put("status", status).encode())
        .onComplete(v -> request.connection().close());
  }

  static Future<Void> error(RoutingContext ctx, int status, String message) {
    return json(ctx, status, new JsonObject().put("error", message).put("status", status));
  }

  static Future<Void> json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) return Future.succeededFuture();
    return ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8").end(body.encode());
  }
}
