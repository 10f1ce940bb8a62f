package dev.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runner.config.RunnerConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/** A real node started for a test, with a client of its HTTP API; closing it checks it left no container. */
public final class TestNode implements AutoCloseable {
  public final RunnerConfig config;
  public final Vertx vertx;
  public final WebClient client;

  private TestNode(RunnerConfig config, Vertx vertx) {
    this.config = config;
    this.vertx = vertx;
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort()));
  }

  public static TestNode start(RunnerConfig config) {
    return new TestNode(config, Main.start(config).await());
  }

  /** POST /run of these visible tests (and {@code extra} fields); asserts a 200 and returns the response. */
  public JsonObject run(String language, String code, JsonObject extra, JsonObject... tests) {
    JsonArray visible = new JsonArray();
    for (JsonObject t : tests) visible.add(t);
    JsonObject req = new JsonObject().put("language", language).put("code", code)
        .put("tests", new JsonObject().put("visible", visible)).mergeIn(extra);
    HttpResponse<Buffer> r = client.post("/run").sendJsonObject(req).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  /** The events a WebSocket subscriber of the job gets, until the socket closes. */
  public List<JsonObject> events(String id) throws Exception {
    return webSocket("/jobs/" + id + "/events", null).messages();
  }

  /** What a WebSocket client got: its messages, and the status code the socket closed with. */
  public record Socket(List<JsonObject> messages, Short closeStatus) {}

  /**
   * The messages of a WebSocket on {@code path}, sending {@code first} first (unless null), until
   * the socket closes; {@code whenOpen}, unless null, may close it from the client's side.
   */
  public Socket webSocket(String path, String first) throws Exception {
    return webSocket(path, first, null);
  }

  public Socket webSocket(String path, String first, java.util.function.Consumer<ClientWebSocket> whenOpen) throws Exception {
    List<JsonObject> got = new ArrayList<>();
    Promise<Short> closed = Promise.promise();
    WebSocketClient client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxFrameSize(8 << 20).setMaxMessageSize(16 << 20));
    try {
      ClientWebSocket ws = client.webSocket();
      ws.textMessageHandler(text -> {
        synchronized (got) {
          got.add(new JsonObject(text));
        }
      });
      ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
      ws.connect(config.httpPort(), "127.0.0.1", path).await();
      if (first != null) ws.writeTextMessage(first).await();
      if (whenOpen != null) whenOpen.accept(ws);
      Short status = closed.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      synchronized (got) {
        return new Socket(List.copyOf(got), status);
      }
    } finally {
      client.close();
    }
  }

  /** A test without an id. */
  public static JsonObject test(String input, String expected) {
    return new JsonObject().put("input", input).put("expected_output", expected);
  }

  @Override
  public void close() {
    vertx.close().await();
    TestEnvironment.assertNoSandboxesLeft(config);
  }
}
