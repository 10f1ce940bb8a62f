package dev.runner.http;

import dev.runner.config.RunnerConfig;
import dev.runner.jobs.JobRequest;
import dev.runner.jobs.TestOutcome;
import dev.runner.lang.Language;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The public API. It validates a request, publishes the job on the event bus to the workers of its
 * language and turns their reply into the seed's response. It never touches a container.
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(HttpVerticle.class.getName());
  static final long MAX_BODY_BYTES = 32L << 20;
  private final RunnerConfig config;
  private final List<String> languages;
  private final RunRequestParser parser;
  private int inFlight;

  public HttpVerticle(RunnerConfig config) {
    this.config = config;
    this.languages = config.images().keySet().stream().filter(Language.ALL::containsKey).sorted().toList();
    this.parser = new RunRequestParser(languages);
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.post("/run").handler(this::admit);
    router.post("/run").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(this::run);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")
        .put("languages", languages)));
    router.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(405, ctx -> error(ctx, 405, "method " + ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(413, ctx -> error(ctx, 413, "the request body is larger than " + (MAX_BODY_BYTES >> 20) + " MB"));
    router.errorHandler(400, ctx -> error(ctx, 400, "bad request"));
    router.errorHandler(500, ctx -> {
      LOG.log(Level.SEVERE, "unexpected failure on " + ctx.request().path(), ctx.failure());
      error(ctx, 500, "internal error");
    });
    return vertx.createHttpServer().requestHandler(router).listen(config.httpPort(), config.httpHost());
  }

  /**
   * Bounds the jobs a node holds at once, before their bodies are read: beyond it a request gets 503
   * with Retry-After at once, so a flood of large requests cannot exhaust the node's memory.
   */
  private void admit(RoutingContext ctx) {
    if (inFlight >= config.maxPendingJobs()) {
      ctx.response().putHeader("retry-after", "1");
      error(ctx, 503, "the node is busy: " + inFlight + " jobs are in progress; retry later");
      return;
    }
    inFlight++;
    ctx.addEndHandler(v -> inFlight--);
    ctx.next();
  }

  private void run(RoutingContext ctx) {
    JobRequest job;
    try {
      job = parser.parse(ctx.body().buffer());
    } catch (BadRequest e) {
      error(ctx, e.status, e.getMessage());
      return;
    }
    // Waiting for a sandbox, then the job (which the worker itself cuts at its deadline), twice if retried.
    long deadline = 2 * (config.pool().acquireTimeout().toMillis() + job.deadlineMs()) + 5_000;
    vertx.eventBus().<JsonObject>request(JobRequest.address(job.language()), job.toJson(), new DeliveryOptions().setSendTimeout(deadline))
        .onSuccess(reply -> {
          List<TestOutcome> outcomes = reply.body().getJsonArray("tests").stream()
              .map(o -> TestOutcome.fromJson((JsonObject) o)).toList();
          json(ctx, 200, RunResponse.of(job, outcomes));
        })
        .onFailure(err -> {
          String why = err instanceof ReplyException re ? switch (re.failureType()) {
            case NO_HANDLERS -> "no worker runs " + job.language() + " jobs right now";
            case TIMEOUT -> "the job did not finish in time";
            default -> re.getMessage();
          } : err.getMessage();
          error(ctx, 503, "the job could not be run: " + why);
        });
  }

  private static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("error", message).put("status", status));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) return;
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json; charset=utf-8").end(body.encode());
  }
}
