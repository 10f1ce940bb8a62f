package dev.runner.http;

import dev.runner.config.RunnerConfig.HttpSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;

/**
 * Reads a WebSocket's first message (a job's body, on /run?stream) as {@link BodyReader} reads a
 * request body: its frames counted against the node's {@link BodyBudget} as they arrive, at most
 * {@code maxBytes}, complete within the body timeout. It fails with a {@link BadRequest}: 413, 503,
 * 408, or 400 when the socket closed first; frames after the first message are not read.
 */
final class WebSocketBody {
  private final Promise<BodyReader.Body> result = Promise.promise();
  private final BodyBudget budget;
  private final long maxBytes;
  private Buffer bytes = Buffer.buffer();
  private long held;

  private WebSocketBody(BodyBudget budget, long maxBytes) {
    this.budget = budget;
    this.maxBytes = maxBytes;
  }

  static Future<BodyReader.Body> read(Vertx vertx, ServerWebSocket ws, HttpSettings settings, BodyBudget budget, long maxBytes) {
    WebSocketBody reader = new WebSocketBody(budget, maxBytes);
    long timer = vertx.setTimer(settings.bodyTimeout().toMillis(),
        t -> reader.fail(408, "the job's message did not arrive within " + settings.bodyTimeout().toSeconds() + " s"));
    ws.frameHandler(reader::frame);
    ws.closeHandler(v -> reader.fail(400, "the WebSocket closed before the job's message was complete"));
    return reader.result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void frame(WebSocketFrame frame) {
    if (result.future().isComplete() || !(frame.isText() || frame.isBinary() || frame.isContinuation())) return;
    Buffer data = frame.binaryData();
    if (bytes.length() + (long) data.length() > maxBytes) {
      fail(413, "the job's message is larger than " + (maxBytes >> 20) + " MB");
    } else if (!budget.tryHold(data.length())) {
      fail(503, "the node holds " + (budget.held() >> 20) + " MB of request bodies, its limit; retry later");
    } else {
      held += data.length();
      bytes.appendBuffer(data);
      if (frame.isFinal()) result.tryComplete(new BodyReader.Body(bytes, held));
    }
  }

  private void fail(int status, String why) {
    if (result.future().isComplete()) return;
    budget.release(held);
    held = 0;
    bytes = null;
    result.fail(new BadRequest(status, why));
  }
}
