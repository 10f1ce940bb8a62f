package dev.runner.http;

import dev.runner.config.RunnerConfig.HttpSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads one request body, counting its bytes against the node's {@link BodyBudget} as they arrive.
 * It fails with a {@link BadRequest}: 413 when the body is over the limit (at once when its
 * Content-Length says so), 503 when the budget has no room, 408 when the body has not arrived
 * within the body timeout or no byte came for the idle timeout. After a 413 or 503 it keeps
 * discarding what the client still sends (so the client can read the answer rather than a reset)
 * and closes the connection when the body ends or a timeout strikes; after a 408 the caller closes it.
 */
final class BodyReader {
  /** A complete body and the budget bytes it holds, now the caller's to release. */
  record Body(Buffer bytes, long held) {}

  private enum State { READING, DONE, REFUSED }

  private final Vertx vertx;
  private final HttpServerRequest request;
  private final HttpSettings settings;
  private final BodyBudget budget;
  private final long maxBytes;
  private final Promise<Body> result = Promise.promise();
  private State state = State.READING;
  private Buffer bytes = Buffer.buffer();
  private long held;
  private long lastByteNanos;
  private long totalTimer = -1, idleTimer = -1;

  BodyReader(Vertx vertx, HttpServerRequest request, HttpSettings settings, BodyBudget budget, long maxBytes) {
    this.vertx = vertx;
    this.request = request;
    this.settings = settings;
    this.budget = budget;
    this.maxBytes = maxBytes;
  }

  Future<Body> read() {
    lastByteNanos = System.nanoTime();
    totalTimer = vertx.setTimer(settings.bodyTimeout().toMillis(), t -> {
      totalTimer = -1;
      timedOut("the request body did not arrive within " + settings.bodyTimeout().toSeconds() + " s");
    });
    armIdleTimer(settings.bodyIdleTimeout().toMillis());
    request.exceptionHandler(this::failed);
    request.handler(this::chunk);
    request.endHandler(v -> ended());
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && declaredLength(length) > maxBytes) {
      refuse(413, tooLarge());
    } else if (request.isEnded()) {
      ended();
    } else if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      request.response().writeContinue();
    }
    return result.future();
  }

  /**
   * The connection closed before the body was complete: nothing more is read, the bytes go back.
   * (After a refusal the timers stay: they bound how long the rest is discarded.)
   */
  void abandon() {
    if (state == State.READING) {
      state = State.DONE;
      cancelTimers();
      giveBack();
      result.tryFail(new BadRequest(400, "the connection closed before the body was complete"));
    }
  }

  /** The connection closed under the body, or the body was not valid HTTP (a bad chunk). */
  private void failed(Throwable e) {
    if (e instanceof HttpClosedException || state != State.READING) {
      abandon();
      return;
    }
    state = State.DONE;
    cancelTimers();
    giveBack();
    result.tryFail(new BadRequest(400, "the request body is not valid HTTP: " + e.getMessage()));
  }

  private void chunk(Buffer chunk) {
    if (state == State.DONE) return;
    lastByteNanos = System.nanoTime(); // a refused body is still being sent: discarded, not idle
    if (state == State.REFUSED) return;
    if (bytes.length() + (long) chunk.length() > maxBytes) {
      refuse(413, tooLarge());
    } else if (!budget.tryHold(chunk.length())) {
      refuse(503, "the node holds " + (budget.held() >> 20) + " MB of request bodies, its limit; retry later");
    } else {
      held += chunk.length();
      bytes.appendBuffer(chunk);
    }
  }

  private void ended() {
    cancelTimers();
    if (state == State.READING) {
      state = State.DONE;
      Body body = new Body(bytes, held);
      bytes = null;
      result.complete(body);
    } else if (state == State.REFUSED) {
      request.connection().close();
    }
  }

  private void timedOut(String why) {
    if (state == State.READING) {
      state = State.DONE;
      cancelTimers();
      giveBack();
      result.fail(new BadRequest(408, why));
    } else if (state == State.REFUSED) {
      cancelTimers();
      request.connection().close();
    }
  }

  private void refuse(int status, String why) {
    state = State.REFUSED;
    giveBack();
    result.fail(new BadRequest(status, why));
  }

  private void giveBack() {
    budget.release(held);
    held = 0;
    bytes = null;
  }

  /** Fires when no byte may have arrived for the idle timeout; re-armed for the rest when one did. */
  private void armIdleTimer(long delayMs) {
    idleTimer = vertx.setTimer(Math.max(1, delayMs), t -> {
      idleTimer = -1;
      long idleMs = (System.nanoTime() - lastByteNanos) / 1_000_000;
      long limitMs = settings.bodyIdleTimeout().toMillis();
      if (idleMs >= limitMs) {
        timedOut("no byte of the request body arrived for " + settings.bodyIdleTimeout().toSeconds() + " s");
      } else {
        armIdleTimer(limitMs - idleMs);
      }
    });
  }

  private void cancelTimers() {
    if (totalTimer >= 0) vertx.cancelTimer(totalTimer);
    if (idleTimer >= 0) vertx.cancelTimer(idleTimer);
    totalTimer = idleTimer = -1;
  }

  private String tooLarge() {
    return "the request body is larger than " + (maxBytes >> 20) + " MB";
  }

  private static long declaredLength(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE; // Netty's decoder refuses these before they get here
    }
  }
}
