package dev.runner.http;

import dev.runner.coordinator.JobCoordinator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.function.Consumer;

/**
 * The asynchronous jobs' routes (POST /jobs is {@link HttpVerticle}'s, with POST /run): a job's
 * record, its cancellation, and its events over a WebSocket, from any node, whichever node runs it.
 */
final class JobsApi {
  private static final Logger LOG = Logger.getLogger(JobsApi.class.getName());
  /** A record's states in which its job will not change any more. */
  private static final Set<String> ENDED = Set.of("done", "failed", "cancelled");
  private final Vertx vertx;
  private final JobCoordinator coordinator;

  JobsApi(Vertx vertx, JobCoordinator coordinator) {
    this.vertx = vertx;
    this.coordinator = coordinator;
  }

  /** The job's record to {@code then}, or the 404 (no such job) or 503 (the map unreadable) answered here. */
  private void withRecord(RoutingContext ctx, Consumer<JsonObject> then) {
    String id = ctx.pathParam("id");
    coordinator.records().get(id).onComplete(ar -> {
      if (ar.failed()) HttpVerticle.error(ctx, 503, "the job's record could not be read: " + ar.cause().getMessage());
      else if (ar.result() == null) HttpVerticle.error(ctx, 404, "no job '" + id + "' (never accepted, or its record expired)");
      else then.accept(ar.result());
    });
  }

  /** GET /jobs/{id}: the record (state, attempt, ...) and, once done, the result POST /run would have given. */
  void describe(RoutingContext ctx) {
    withRecord(ctx, record -> {
      record.remove("request"); // the submitted code and hidden tests are not shown back
      HttpVerticle.json(ctx, 200, record);
    });
  }

  /** DELETE /jobs/{id}: cancels a job that has not ended; its sandboxes are freed. */
  void cancel(RoutingContext ctx) {
    withRecord(ctx, record -> {
      String id = record.getString("id"), state = record.getString("state");
      if (ENDED.contains(state)) {
        HttpVerticle.error(ctx, 409, "job '" + id + "' has ended already (" + state + ")");
        return;
      }
      coordinator.cancel(id);
      HttpVerticle.json(ctx, 202, new JsonObject().put("id", id).put("state", "cancelling"));
    });
  }

  /**
   * GET /jobs/{id}/events: a WebSocket of the job's events as JSON text frames, each with its
   * {@code seq}. A subscriber first gets the events it missed (stored with the record), then the
   * live ones; the socket closes after the {@code done} event.
   */
  void events(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) {
      HttpVerticle.error(ctx, 400, "GET /jobs/{id}/events is a WebSocket: send Upgrade: websocket");
      return;
    }
    ctx.request().pause(); // the upgrade waits for the record's look-up
    withRecord(ctx, record -> {
      String id = record.getString("id");
      if (!record.getBoolean("async", false)) {
        HttpVerticle.error(ctx, 409, "job '" + id + "' was run by POST /run, whose response carries its results; "
            + "events are kept for POST /jobs");
        return;
      }
      ctx.request().toWebSocket().onSuccess(ws -> stream(ws, id, false))
          .onFailure(err -> HttpVerticle.error(ctx, 400, "the WebSocket upgrade failed: " + err.getMessage()));
    });
  }

  /** How often a subscriber reads the stored events anyway: a live event published before its subscription reached the publisher is not lost. */
  private static final long CATCH_UP_MS = 2_000;

  /**
   * Streams the job's events to the socket; {@code oneShot} (/run?stream): the done event carries
   * the job's status and result, and the job is cancelled when the socket closes before it.
   */
  void stream(ServerWebSocket ws, String id, boolean oneShot) {
    new Subscriber(new Sink() {
      @Override
      public boolean closed() {
        return ws.isClosed();
      }

      @Override
      public void send(JsonObject event) {
        ws.writeTextMessage(event.encode());
      }

      @Override
      public void end(String error) {
        if (error == null) ws.close((short) 1000, "done");
        else ws.close((short) 1011, closeReason(error));
      }

      @Override
      public void onClose(Runnable then) {
        ws.frameHandler(frame -> {}); // a client's frames mean nothing here
        ws.closeHandler(v -> then.run());
      }
    }, id, oneShot).start();
  }

  /**
   * POST /run?stream: the job's events as they happen, one JSON object a line (NDJSON) in a chunked
   * 200 response, as on the WebSocket /run?stream; the response ends after done, whose line carries
   * the result; a client that goes away first cancels the job.
   */
  void stream(RoutingContext ctx, String id) {
    HttpServerResponse response = ctx.response();
    if (!response.closed()) {
      response.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "application/x-ndjson; charset=utf-8").setStatusCode(200);
    }
    new Subscriber(new Sink() {
      @Override
      public boolean closed() {
        return response.closed() || response.ended();
      }

      @Override
      public void send(JsonObject event) {
        response.write(event.encode() + "\n");
      }

      @Override
      public void end(String error) {
        if (error != null) send(new JsonObject().put("type", "error").put("status", 500).put("error", error));
        response.end();
      }

      @Override
      public void onClose(Runnable then) {
        // Beside the routing context's own end handlers (the connection guard's), not in their place.
        ctx.addEndHandler(ar -> then.run());
      }
    }, id, true).start();
  }

  /**
   * A refused /run?stream: its error as the one message, then the socket closed (1013, try again
   * later, for a 503; 1009 for a message too big; else 1008, or 1011 for a bug).
   */
  static void refuse(ServerWebSocket ws, Throwable err) {
    int status = err instanceof BadRequest e ? e.status : 500;
    if (status == 500) LOG.log(Level.SEVERE, "unexpected failure on /run?stream", err);
    String why = err instanceof BadRequest ? err.getMessage() : "internal error";
    if (ws.isClosed()) return;
    short code = (short) switch (status) {
      case 503 -> 1013;
      case 413 -> 1009;
      case 500 -> 1011;
      default -> 1008;
    };
    ws.writeTextMessage(new JsonObject().put("type", "error").put("status", status).put("error", why).encode())
        .onComplete(v -> ws.close(code, closeReason(why)));
  }

  /** A close frame's reason: at most 123 bytes of UTF-8 (RFC 6455), cut on a character. */
  private static String closeReason(String why) {
    String reason = why.length() > 123 ? why.substring(0, 123) : why;
    while (reason.getBytes(StandardCharsets.UTF_8).length > 123) reason = reason.substring(0, reason.offsetByCodePoints(reason.length(), -1));
    return reason;
  }

  /** Where a subscriber's events go: a WebSocket, or a streamed HTTP response. */
  private interface Sink {
    /** The client's side is gone, or the stream has ended. */
    boolean closed();

    void send(JsonObject event);

    /** After the last event; {@code error}: why the stream ends early, else null. */
    void end(String error);

    /** {@code then} runs when the client's side is gone, or the stream has ended. */
    void onClose(Runnable then);
  }

  /**
   * Sends one job's events in seq order, each once: the stored ones first, then the live ones; a
   * live event ahead of the next one expected (some were missed) and a periodic check read the
   * stored events from there. Ends the stream after "done".
   */
  private final class Subscriber {
    final Sink sink;
    final String id;
    final boolean oneShot;
    int next = 1;
    boolean reading;
    /** This side has seen done, or ended the stream: nothing more is sent, and the job is not cancelled. */
    boolean over;
    boolean stopped;
    long timer = -1;
    MessageConsumer<JsonObject> consumer;

    Subscriber(Sink sink, String id, boolean oneShot) {
      this.sink = sink;
      this.id = id;
      this.oneShot = oneShot;
    }

    void start() {
      if (sink.closed()) { // the client left while the job was being recorded
        stop();
        return;
      }
      consumer = vertx.eventBus().consumer(JobCoordinator.eventsAddress(id), m -> {
        if (m.body().getInteger("seq", 0) == next) send(m.body());
        else if (m.body().getInteger("seq", 0) > next) catchUp();
      });
      timer = vertx.setPeriodic(CATCH_UP_MS, t -> catchUp());
      sink.onClose(this::stop);
      consumer.completion().onComplete(v -> catchUp());
    }

    /** The stream is over, whichever side ended it; a one-shot job whose client left before its end is cancelled. */
    void stop() {
      if (stopped) return;
      stopped = true;
      if (timer >= 0) vertx.cancelTimer(timer);
      if (consumer != null) consumer.unregister();
      if (oneShot && !over) coordinator.cancel(id);
    }

    void catchUp() {
      if (reading || over || sink.closed()) return;
      reading = true;
      coordinator.records().events(id, next).onComplete(ar -> {
        reading = false;
        if (ar.failed()) {
          end("the job's events could not be read");
          return;
        }
        for (int i = 0; i < ar.result().size(); i++) send(ar.result().getJsonObject(i));
      });
    }

    /** Sends the event if it is the next one; ends the stream after the last one. */
    void send(JsonObject event) {
      if (event.getInteger("seq", 0) != next || over || sink.closed()) return;
      next++;
      if (!"done".equals(event.getString("type"))) {
        sink.send(event);
        return;
      }
      over = true;
      Future<JsonObject> last = !oneShot ? Future.succeededFuture(event)
          // The record is written before its done event: it holds the result POST /run gives.
          : coordinator.records().get(id).map(record -> record == null ? event : event.copy()
              .put("result", record.getJsonObject("result")));
      last.onComplete(ar -> {
        if (sink.closed()) return;
        if (ar.succeeded()) sink.send(ar.result());
        sink.end(ar.succeeded() ? null : "the job's result could not be read");
        stop();
      });
    }

    /** Ends the stream early, from this side (the job runs on: its record has its result). */
    void end(String error) {
      if (over) return;
      over = true;
      if (!sink.closed()) sink.end(error);
      stop();
    }
  }
}
